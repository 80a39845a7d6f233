"""The dashboard's reads, one module per page; each query is shaped to stay fast with 10,000 stations."""
