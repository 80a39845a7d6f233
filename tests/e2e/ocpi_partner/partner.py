"""An independent OCPI 2.2.1 eMSP for Voltstack's end-to-end tests, run in its own venv.

The receiver half is the PyPI package extrawest-ocpi (py_ocpi: FastAPI + pydantic 1), so every
object Voltstack pushes is parsed by someone else's reading of the spec. The client half
(handshake, pulls, token pushes, commands) is driven by the test through /control, which is
not OCPI. The store is a JSON file (PARTNER_STATE) so a restarted partner remembers its peer.

Usage: python partner.py --port N   (env PARTNER_STATE: the state file)
"""

import argparse
import itertools
import json
import os
import re
import secrets
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
PORT = parser.parse_args().port
# py_ocpi reads its settings when first imported: they must be in the environment before that.
os.environ.update(OCPI_HOST=f"127.0.0.1:{PORT}", PROTOCOL="http", COUNTRY_CODE="NL", PARTY_ID="EMS")
os.environ.update(CI_STRING_LOWERCASE_PREFERENCE="false", ENVIRONMENT="development")

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import APIRouter, Body, HTTPException, Request  # noqa: E402
from py_ocpi import get_application  # noqa: E402
from py_ocpi.core.adapter import BaseAdapter  # noqa: E402
from py_ocpi.core.authentication.authenticator import Authenticator  # noqa: E402
from py_ocpi.core.crud import Crud  # noqa: E402
from py_ocpi.core.enums import ModuleID, RoleEnum  # noqa: E402
from py_ocpi.core.utils import encode_string_base64  # noqa: E402
from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr  # noqa: E402
from py_ocpi.modules.locations.v_2_2_1.schemas import Location  # noqa: E402
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session  # noqa: E402
from py_ocpi.modules.tariffs.v_2_2_1.schemas import Tariff  # noqa: E402
from py_ocpi.modules.tokens.v_2_2_1.schemas import Token  # noqa: E402
from py_ocpi.modules.versions.enums import VersionNumber  # noqa: E402
from pydantic import ValidationError  # noqa: E402

BASE = f"http://127.0.0.1:{PORT}"
VERSIONS_URL = f"{BASE}/ocpi/versions"
STATE_FILE = Path(os.environ.get("PARTNER_STATE", f"ocpi-partner-{PORT}.json"))
SENDER_MODELS = {"locations": Location, "tariffs": Tariff, "sessions": Session, "cdrs": Cdr}
MODULES = [ModuleID.credentials_and_registration, ModuleID.locations, ModuleID.sessions, ModuleID.cdrs]
MODULES += [ModuleID.tariffs, ModuleID.tokens, ModuleID.commands]
ROLES = [{"role": "EMSP", "country_code": "NL", "party_id": "EMS", "business_details": {"name": "Partner eMSP"}}]
# parties: keyed by the token the peer uses with us; "peer": the one /control acts on.
EMPTY = {"token_a": [], "parties": {}, "peer": None, "objects": {}, "log": [], "commands": {}}
state = json.loads(STATE_FILE.read_text()) if STATE_FILE.exists() else json.loads(json.dumps(EMPTY))
command_uids = itertools.count(len(state["commands"]) + 1)


def plain(value):
    """What JSON keeps of a pydantic .dict(): the store is the same in memory and on disk."""
    return json.loads(json.dumps(value, default=lambda o: o.isoformat() if hasattr(o, "isoformat") else str(o)))


def save() -> None:
    STATE_FILE.with_suffix(".tmp").write_text(json.dumps(state, indent=1))
    STATE_FILE.with_suffix(".tmp").replace(STATE_FILE)


def key(module, data, object_id=None, **kw) -> str:
    """Objects are per owner (country/party/id); CDRs (POSTed) and command uids by id alone."""
    object_id = object_id or data.get("id") or data.get("uid")
    if module in (ModuleID.cdrs, ModuleID.commands):
        return str(object_id)
    return (
        f"{kw.get('country_code') or data.get('country_code')}/{kw.get('party_id') or data.get('party_id')}/{object_id}"
    )


class Store(Crud):
    """py_ocpi's data layer: every receiver call lands here."""

    @classmethod
    async def get(cls, module, role, id, *args, **kw):
        if module == ModuleID.credentials_and_registration:
            party = state["parties"].get(kw.get("auth_token"))
            return party and party["ours"]
        if module == ModuleID.tokens:
            return next((t for t in state["objects"].get("tokens", {}).values() if t["uid"] == id), None)
        return state["objects"].get(module.value, {}).get(key(module, {}, id, **kw))

    @classmethod
    async def list(cls, module, role, filters, *args, **kw):
        objects = list(state["objects"].get(module.value, {}).values())
        page = objects[filters["offset"] : filters["offset"] + filters["limit"]]
        return page, len(objects), filters["offset"] + len(page) >= len(objects)

    @classmethod
    async def create(cls, module, role, data, *args, **kw):
        if module == ModuleID.credentials_and_registration:  # a CPO registers with its token A
            return register_party(data["credentials"], data["endpoints"], used_token_a=kw.get("auth_token"))
        state["objects"].setdefault(module.value, {})[key(module, data, **kw)] = plain(data)
        save()
        return data

    @classmethod
    async def update(cls, module, role, data, id, *args, **kw):
        if module == ModuleID.commands:  # the CPO's asynchronous CommandResult
            state["commands"].setdefault(id, {})["result"] = plain(data)
        elif module == ModuleID.credentials_and_registration:
            old = state["parties"].pop(kw["auth_token"])
            return register_party(data["credentials"], data["endpoints"], versions_url=old["versions_url"])
        else:
            state["objects"].setdefault(module.value, {})[key(module, data, id, **kw)] = plain(data)
        save()
        return data

    @classmethod
    async def delete(cls, module, role, id, *args, **kw):
        if module == ModuleID.credentials_and_registration:
            state["parties"].pop(kw["auth_token"], None)
        else:
            state["objects"].get(module.value, {}).pop(key(module, {}, id, **kw), None)
        save()

    @classmethod
    async def do(cls, module, role, action, *args, data=None, **kw):
        token = await cls.get(ModuleID.tokens, role, data["token_uid"])
        return {"allowed": "ALLOWED" if token and token["valid"] else "NOT_ALLOWED", "token": token}


class Tokens(Authenticator):
    @classmethod
    async def get_valid_token_a(cls):
        return state["token_a"]

    @classmethod
    async def get_valid_token_c(cls):
        return list(state["parties"])


def register_party(theirs: dict, endpoints: dict, used_token_a=None, versions_url=None) -> dict:
    """Keeps the CPO's token and endpoints; answers with our credentials and a fresh token for it."""
    if used_token_a in state["token_a"]:
        state["token_a"].remove(used_token_a)  # a token A serves one registration
    ours = {"token": secrets.token_urlsafe(24), "url": VERSIONS_URL, "roles": ROLES}
    state["parties"][ours["token"]] = {"ours": ours, "theirs": plain(theirs), "endpoints": endpoints["endpoints"]}
    state["parties"][ours["token"]]["versions_url"] = versions_url or theirs["url"]
    state["peer"] = ours["token"]
    save()
    return ours


def peer() -> dict:
    if not state["peer"]:
        raise HTTPException(409, "no CPO is registered")
    return state["parties"][state["peer"]]


def auth(token: str) -> dict:
    return {"Authorization": f"Token {encode_string_base64(token)}"}


def endpoint(module: str, role: str) -> str:
    found = [e["url"] for e in peer()["endpoints"] if e["identifier"] == module and e["role"] == role]
    if not found:
        raise HTTPException(409, f"the CPO has no {module} {role} endpoint")
    return found[0]


def next_link(header: str | None) -> str | None:
    """RFC 8288: `<uri>; rel="next"` among comma-separated links; rel may be unquoted or a list."""
    for uri, params in re.findall(r'<([^>]*)>\s*((?:;\s*[^;,]+?=\s*(?:"[^"]*"|[^;,]*)\s*)*)', header or ""):
        for name, quoted, bare in re.findall(r';\s*([^=\s]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))', params):
            if name.lower() == "rel" and "next" in (quoted or bare).lower().split():
                return uri
    return None


control = APIRouter(prefix="/control")
JSON_BODY = Body(...)


@control.post("/token_a")
async def add_token_a(body: dict = JSON_BODY):
    state["token_a"].append(body["token"])
    save()
    return {"token_a": state["token_a"]}


@control.post("/register")
async def register(body: dict = JSON_BODY):
    """The handshake to a CPO: its versions, its 2.2.1 details, then POST our credentials with token A."""
    async with httpx.AsyncClient(headers=auth(body["token_a"])) as client:
        versions = (await client.get(body["versions_url"])).json()["data"]
        details_url = next(v["url"] for v in versions if v["version"] == "2.2.1")
        endpoints = (await client.get(details_url)).json()["data"]
        token_b = secrets.token_urlsafe(24)
        creds_url = next(e["url"] for e in endpoints["endpoints"] if e["identifier"] == "credentials")
        state["parties"][token_b] = {"ours": {"token": token_b, "url": VERSIONS_URL, "roles": ROLES}}
        reply = await client.post(creds_url, json=state["parties"][token_b]["ours"])
    answer = reply.json()
    if reply.status_code != 200 or answer.get("status_code") != 1000:
        state["parties"].pop(token_b)
        return {"registered": False, "http_status": reply.status_code, "response": answer}
    party = state["parties"][token_b]
    party.update(theirs=answer["data"], endpoints=endpoints["endpoints"], versions_url=body["versions_url"])
    state["peer"] = token_b
    save()
    return {"registered": True, "token_b": token_b, "token_c": answer["data"]["token"], "response": answer}


@control.get("/pull/{module}")
async def pull(module: str, request: Request):
    """A CPO sender's whole list, page after page by its Link header, each object checked by py_ocpi."""
    url, params, pages, objects, errors, counts = endpoint(module, "SENDER"), dict(request.query_params), [], [], [], []
    async with httpx.AsyncClient(headers=auth(peer()["theirs"]["token"])) as client:
        while url and len(pages) < 100:
            reply = await client.get(url, params=params)
            params, body = None, reply.json()
            pages.append(
                {"url": str(reply.url), "http_status": reply.status_code, "status_code": body.get("status_code")}
            )
            counts.append(reply.headers.get("X-Total-Count"))
            for item in body.get("data") or []:
                objects.append(item)
                try:
                    SENDER_MODELS[module](**item)
                except ValidationError as error:
                    errors.append({"id": item.get("id"), "errors": plain(error.errors())})
            url = next_link(reply.headers.get("Link"))
            url = url and urllib.parse.urljoin(str(reply.url), url)  # a Link may be relative
    total = int(counts[0]) if counts and counts[0] is not None else None
    return {"ids": [o.get("id") for o in objects], "count": total, "pages": pages, "errors": errors, "objects": objects}


@control.post("/tokens")
async def push_token(token: dict = JSON_BODY):
    """PUT {tokens}/{country_code}/{party_id}/{uid}: the token is ours, so we keep it too (authorize)."""
    Token(**token)
    state["objects"].setdefault("tokens", {})[key(ModuleID.tokens, token)] = token
    save()
    url = f"{endpoint('tokens', 'RECEIVER').rstrip('/')}/{token['country_code']}/{token['party_id']}/{token['uid']}"
    async with httpx.AsyncClient(headers=auth(peer()["theirs"]["token"])) as client:
        reply = await client.put(url, json=token, params={"type": token["type"]})
    return {"http_status": reply.status_code, "response": reply.json() if reply.content else None}


@control.post("/commands/{command}")
async def send_command(command: str, body: dict = JSON_BODY):
    uid = f"{command.lower()}-{next(command_uids)}"
    body = {**body, "response_url": f"{BASE}/ocpi/emsp/2.2.1/commands/{uid}"}
    async with httpx.AsyncClient(headers=auth(peer()["theirs"]["token"])) as client:
        reply = await client.post(f"{endpoint('commands', 'RECEIVER').rstrip('/')}/{command}", json=body)
    answer = reply.json() if reply.content else None
    state["commands"][uid] = {"command": command, "request": body, "http_status": reply.status_code, "response": answer}
    save()
    return {"uid": uid, **state["commands"][uid]}


@control.get("/state")
async def get_state():
    return state


def push_log(app):
    """ASGI wrapper: every OCPI call received (method, path, body, answer status) in arrival order."""

    async def logged(scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/ocpi/emsp/"):
            return await app(scope, receive, send)
        chunks, entry = [], {"method": scope["method"], "path": scope["path"], "query": scope["query_string"].decode()}

        async def receive_body():
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        async def send_status(message):
            if message["type"] == "http.response.start":
                raw = b"".join(chunks)
                try:
                    entry["body"] = json.loads(raw) if raw else None
                except ValueError:
                    entry["body"] = raw.decode(errors="replace")
                entry.update(status=message["status"], at=datetime.now(UTC).isoformat())
                state["log"].append(entry)
                save()
            await send(message)

        await app(scope, receive_body, send_status)

    return logged


app = get_application(
    version_numbers=[VersionNumber.v_2_2_1], roles=[RoleEnum.emsp], crud=Store, modules=MODULES,
    authenticator=Tokens, adapter=BaseAdapter,
)  # fmt: skip
app.include_router(control)

if __name__ == "__main__":
    uvicorn.run(push_log(app), host="127.0.0.1", port=PORT, log_level="warning")
