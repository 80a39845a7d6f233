"""The ASGI server: `python -m csms.serve --host 127.0.0.1 --port 8000`.

Every place that serves Voltstack (`make run`, the tests' server, the
benchmarks) starts it through here, so they all run the same server with
the same options. It is uvicorn, because chargers need what daphne lacks:

* a refused handshake answers a real HTTP status (401 for wrong
  credentials, as OCPP security profile 1 prescribes), through the ASGI
  WebSocket denial response;
* no timer cuts a connection (daphne closes every socket after 24 h by
  default; an OCPP connection lives for months) and no handshake deadline
  of the server's own (daphne's 5 s dropped handshakes in a reconnect
  storm); WebSocket pings keep the link alive and find dead peers;
* a listen backlog a reconnect storm fits in (daphne's is 50).

Options come from the environment (read here, not in Django's settings:
they configure the server, before any Django code runs):

OCPP_WS_PING_INTERVAL  seconds between the server's WebSocket pings (0: none)
OCPP_WS_PING_TIMEOUT   seconds a pong may take before the link counts as dead
SERVER_BACKLOG         the listen backlog (the kernel caps it at net.core.somaxconn)
TRUSTED_PROXIES        addresses whose X-Forwarded-For names the client (none by default)
"""

import argparse
import os

import uvicorn

# OCPP's own frames are bounded by OCPP_MAX_FRAME_BYTES with a CALLERROR; the WebSocket layer
# lets bigger ones through to that check and only refuses what no charger would send.
WS_MAX_BYTES = 16 * 1024 * 1024


def env_seconds(name: str, default: float) -> float | None:
    """A duration from the environment; 0 turns the feature off (uvicorn's None)."""
    value = float(os.environ.get(name, default))
    return value or None


def options() -> dict:
    """uvicorn's options for Voltstack, from the environment."""
    return {
        "http": "httptools",
        "ws": "websockets-sansio",
        "loop": "uvloop",
        "lifespan": "off",  # Django has no lifespan handler
        "log_config": None,  # Django's LOGGING decides (csms/settings.py)
        "backlog": int(os.environ.get("SERVER_BACKLOG", 4096)),
        "ws_ping_interval": env_seconds("OCPP_WS_PING_INTERVAL", 60),
        "ws_ping_timeout": env_seconds("OCPP_WS_PING_TIMEOUT", 30),
        "ws_max_size": WS_MAX_BYTES,
        "proxy_headers": True,
        "forwarded_allow_ips": os.environ.get("TRUSTED_PROXIES", ""),
        "timeout_graceful_shutdown": 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    args = parser.parse_args()
    uvicorn.run("csms.asgi:application", host=args.host, port=args.port, **options())


if __name__ == "__main__":
    main()
