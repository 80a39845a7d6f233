"""The simulator's command line: what a user types becomes the fleet that runs."""

import argparse

from simulator.cli import add_arguments, fleet_options


def parsed(*argv: str) -> dict:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return vars(parser.parse_args(list(argv)))


def test_pause_seconds_sets_the_idle_time_between_a_chargers_sessions():
    assert fleet_options(parsed("--sessions", "3", "--pause-seconds", "45")).pause_seconds == 45
    assert fleet_options(parsed()).pause_seconds == 5
