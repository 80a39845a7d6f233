"""Password hashing for charging stations.

A station's HTTP Basic password (OCPP security profile 1) is a long random
machine secret, checked on every (re)connect of thousands of chargers. A
slow password hash tuned for human passwords would cost ~0.5 s of CPU per
reconnect storm entry; a salted PBKDF2 with fewer rounds is the right trade
for high-entropy secrets, and it still never stores the password itself.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class StationPasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_station"
    iterations = 5_000
