#!/usr/bin/env node
// An OCPP 1.6J charger built with ocpp-rpc, an implementation independent of
// the Python `ocpp` package the CSMS uses. strictMode makes ocpp-rpc validate
// every frame against its own copy of the 1.6 JSON schemas, in both directions:
// what the CSMS answers, and what the CSMS asks.
//
//   node charger.js <ws-url-without-id> <charge_point_id> <password> <id_tag>
//
// stdout: one JSON line per step ({"step": ..., ...}); the line
// {"step":"ready","transactionId":N} means it waits for RemoteStopTransaction.
// stderr: every frame in (<) and out (>), for diagnosis.
// Exit 0 after the remote stop has been carried out; non-zero on any error,
// on a frame ocpp-rpc rejects, or after an overall timeout of 30 s.
'use strict';

const { RPCClient, createRPCError } = require('ocpp-rpc');

const OVERALL_TIMEOUT_MS = 30000;
const CONNECTOR = 1;
const METER_START_WH = 1000;
const METER_STOP_WH = 4000;
const METER_READINGS_WH = [2000, 3000];

const [endpoint, identity, password, idTag] = process.argv.slice(2);
if (!endpoint || !identity || !password || !idTag) {
    process.stderr.write('usage: node charger.js <ws-url-without-id> <charge_point_id> <password> <id_tag>\n');
    process.exit(2);
}

function report(line) {
    process.stdout.write(JSON.stringify(line) + '\n');
}

function fail(message, detail) {
    report({ step: 'error', message, ...(detail === undefined ? {} : { detail }) });
    process.stderr.write(`charger.js: ${message}${detail === undefined ? '' : ' ' + JSON.stringify(detail)}\n`);
    process.exit(1);
}

const overall = setTimeout(() => fail(`timed out after ${OVERALL_TIMEOUT_MS / 1000} s`), OVERALL_TIMEOUT_MS);

const now = () => new Date().toISOString();
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const client = new RPCClient({
    endpoint,
    identity,
    password, // HTTP Basic: username = identity, this password
    protocols: ['ocpp1.6'],
    strictMode: true,
    reconnect: false,
    callTimeoutMs: 10000,
});

let transactionId = null;
let opened = false; // a failed connect() reports its own error
let stopping = false; // set once the charger closes the connection itself

// Every raw frame, by message id, so a rejected frame can be reported exactly as it came.
const rawFrames = new Map();
client.on('message', ({ message, outbound }) => {
    const text = message.toString();
    process.stderr.write(`${outbound ? '>' : '<'} ${text}\n`);
    if (!outbound) {
        try {
            const frame = JSON.parse(text);
            if (Array.isArray(frame) && typeof frame[1] === 'string') rawFrames.set(frame[1], text);
        } catch (_) { /* a bad message: reported by the 'badMessage' handler */ }
    }
});

client.on('strictValidationFailure', ({ messageId, method, outbound, isCall, error }) => {
    fail('strict validation failure', {
        method,
        direction: outbound ? 'out' : 'in',
        kind: isCall ? 'CALL' : 'CALLRESULT',
        frame: outbound ? null : (rawFrames.get(messageId) ?? null),
        error: error && error.message,
        errors: error && error.details && error.details.errors,
    });
});

client.on('badMessage', ({ buffer, error }) => {
    fail('bad message from the CSMS', { frame: buffer.toString(), error: error && error.message });
});

client.on('close', ({ code, reason }) => {
    if (opened && !stopping) fail('connection closed unexpectedly', { code, reason: String(reason || '') });
});

async function step(name, method, params, check) {
    const response = await client.call(method, params);
    report({ step: name, response });
    if (check && !check(response)) fail(`unexpected ${method} answer`, response);
    return response;
}

function statusNotification(connectorId, status) {
    return { connectorId, errorCode: 'NoError', status, timestamp: now() };
}

function meterValue(wh) {
    return {
        timestamp: now(),
        sampledValue: [{
            value: String(wh),
            context: 'Sample.Periodic',
            measurand: 'Energy.Active.Import.Register',
            location: 'Outlet',
            unit: 'Wh',
        }],
    };
}

async function stopRemotely() {
    await step('stop', 'StopTransaction', {
        transactionId,
        idTag,
        meterStop: METER_STOP_WH,
        timestamp: now(),
        reason: 'Remote',
    }, (r) => r.idTagInfo === undefined || typeof r.idTagInfo.status === 'string');
    await step('status-finishing', 'StatusNotification', statusNotification(CONNECTOR, 'Finishing'));
    await step('status-available-after', 'StatusNotification', statusNotification(CONNECTOR, 'Available'));
    stopping = true;
    const closed = await client.close({ code: 1000, reason: 'done', awaitPending: true });
    report({ step: 'closed', code: closed.code });
    clearTimeout(overall);
    process.exit(0);
}

client.handle('RemoteStopTransaction', ({ params }) => {
    report({ step: 'remote-stop', request: params });
    if (transactionId === null || params.transactionId !== transactionId) {
        return { status: 'Rejected' };
    }
    // Answer first; the stop follows once the CALLRESULT is on its way.
    setImmediate(() => stopRemotely().catch((err) => fail(`stop failed: ${err.message}`, err.details)));
    return { status: 'Accepted' };
});

client.handle(({ method, params }) => {
    report({ step: 'unexpected-call', method, request: params });
    throw createRPCError('NotImplemented', `${method} is not implemented by this charger`);
});

async function main() {
    const { response } = await client.connect();
    opened = true;
    report({ step: 'connected', protocol: client.protocol, identity: client.identity, status: response.statusCode });
    if (client.protocol !== 'ocpp1.6') fail(`negotiated subprotocol ${client.protocol}, not ocpp1.6`);

    await step('boot', 'BootNotification', {
        chargePointVendor: 'ocpp-rpc',
        chargePointModel: 'NodeCharger',
        chargePointSerialNumber: 'NODE-0001',
        firmwareVersion: `node-${process.versions.node}`,
    }, (r) => r.status === 'Accepted');
    await step('status-available-0', 'StatusNotification', statusNotification(0, 'Available'));
    await step('status-available-1', 'StatusNotification', statusNotification(CONNECTOR, 'Available'));
    await step('authorize', 'Authorize', { idTag }, (r) => r.idTagInfo.status === 'Accepted');
    await step('status-preparing', 'StatusNotification', statusNotification(CONNECTOR, 'Preparing'));
    const started = await step('start', 'StartTransaction', {
        connectorId: CONNECTOR,
        idTag,
        meterStart: METER_START_WH,
        timestamp: now(),
    }, (r) => r.idTagInfo.status === 'Accepted');
    transactionId = started.transactionId;
    await step('status-charging', 'StatusNotification', statusNotification(CONNECTOR, 'Charging'));
    for (const [i, wh] of METER_READINGS_WH.entries()) {
        await pause(5); // distinct timestamps: meter values are keyed by them
        await step(`meter-${i + 1}`, 'MeterValues', {
            connectorId: CONNECTOR,
            transactionId,
            meterValue: [meterValue(wh)],
        });
    }
    report({ step: 'ready', transactionId });
}

main().catch((err) => {
    // An RPCError carries details; a refused upgrade (UnexpectedHttpResponse) its HTTP status as code.
    const detail = err.details ?? (err.code !== undefined ? { code: err.code } : undefined);
    fail(`${err.constructor.name || err.name || 'Error'}: ${err.message}`, detail);
});
