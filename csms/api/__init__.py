"""What every endpoint of the drivers' API shares: errors, auth, paging, the schema."""
