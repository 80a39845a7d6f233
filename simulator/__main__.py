"""`python -m simulator --help`: simulated OCPP chargers without the CSMS's stack (see simulator.cli)."""

from simulator.cli import main

raise SystemExit(main())
