"""Schema fuzzing: schemathesis drives every operation of the served OpenAPI schema against a
real gunicorn, with a key that holds every right, and fails on any 5xx or any response the
schema does not describe (status, content type, body).

Two runs: one with generated path parameters (mostly "not found", which must be answered as
documented too), and one where the path parameters name records that exist, so requests reach
the rules behind them. Failures print what schemathesis reports, including a curl command
that reproduces each one. Both runs are bounded to stay within a few minutes.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)
# The 5xx answers the contracts document, by operation: a schema-valid request may get them in
# the black-box lab (gunicorn without a tracker; workstation 00 as the fuzzing left it).
DOCUMENTED_SERVER_ERRORS = {
    "v2_order_complete": (
        "503",
        "code 30 `Job Tracker is not running`: the black-box lab runs gunicorn, no tracker",
    ),
    "v2_order_print_ticket": (
        "500",
        "`No printer defined for workstation 00` (the contract's 500), once the fuzzing of "
        "PUT/PATCH /api/v2/workstations/00 has unmapped its LPT ports",
    ),
}


def documented(operation_id: str) -> list[str]:
    """The documented 5xx of an operation, if it has one."""
    entry = DOCUMENTED_SERVER_ERRORS.get(operation_id)
    return [entry[0]] if entry else []


# What print_ticket answers a request the schema refuses (see negative_data_rejection).
PRINT_TICKET_ANSWERS = [
    "200",
    "201",
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "415",
    "422",
    "429",
]

# Operations that cannot meet a check for a stated, documented reason, and what each answers
# instead. positive_data_acceptance expects a schema-valid request to be accepted (2xx, or
# 401/403/404/409); these answer such a request 400 by a rule the schema cannot state, because
# it depends on stored records or an order's state (the contracts' tables, in the operation's
# own description).
EXCEPTIONS: dict[str, dict[str, tuple[list[str], str]]] = {
    "positive_data_acceptance": {
        operation_id: (
            ["2xx", "400", "401", "403", "404", "409", *documented(operation_id)],
            reason,
        )
        for operation_id, reason in {
            # The order's state decides (contract tables: marked for cancelation, on hold, ...).
            "v2_order_cancel": "the cancel table: reason codes, the order's state, settings",
            "v2_order_hold": "hold/release: the order's state and the Allow hold orders setting",
            "v2_order_release": "hold/release: the order's state",
            "v2_order_complete": "complete: the order's state and its flow steps",
            "v2_order_print_ticket": "print_ticket: a stock order, or no tray while required",
            "v2_station_check_in": "check-in: the order must exist and be in production",
            "v2_order_assign_tray": "tray: the order's state, its tray, another order's tray "
            "(and a missing trayNumber is the contract's check 3, not a schema rule)",
            "v2_order_pick": "pick: the order's state and the codes it expects; at least one "
            "field, not both frameUPC and frameSKU, and Partial Picking's groups",
            "orders_delete": "the Lab API v2 cancel table, as a problem",
            "orders_set_status": "processing status transitions of the order",
            "orders_set_item_status": "processing status transitions of the item",
            "orders_set_endpoint_status": "processing status transitions of the endpoint",
            "orders_process": "only processable orders, named by existing ids",
            "order_cancel_items": "only pre-production orders' items",
            # References to stored records, and uniqueness.
            "v2_orders_create": "customerNumber must name an active customer; numbers are unique",
            "v2_delete_reasons_create": "a reason code that exists is refused",
            "v2_customers_create": "a customer number that exists is refused",
            "v2_addons_create": "an addon code that exists is refused",
            "legacy_add_stock": "customer and items must name stored customers and priced "
            "products; a tray in use is refused",
            "v2_stations_create": "a station code that exists is refused",
            "v2_station_delete": "a station with check-ins is kept",
            "v2_printer_delete": "a printer with print jobs is kept",
            "v2_printers_create": "the driver's target (folder, cupsQueue or host) is required; "
            "names are unique; folders lie in the spool root",
            "v2_printer_update": "as v2_printers_create, for the printer as changed",
            "v2_workstation_replace": "lptPorts name existing printers",
            "v2_workstation_update": "lptPorts name existing printers",
            "v2_webhooks_create": "the URL must be https:// and its host must not resolve to a "
            "loopback, private or link-local address (unless WEBHOOK_ALLOWED_HOSTS lists it)",
            "v2_webhook_update": "as v2_webhooks_create, for the URL as changed",
            # Credentials the fuzzing key is not.
            "auth_logout": "logs out a login token; the fuzzing key is an API key",
            "auth_refresh": "needs a refresh token a login issued",
        }.items()
    }
    | {
        # The NData grammar (operators, typed arguments, escapes, sort keys) is described per
        # parameter, not as a pattern; and each parameter may be 4000 characters long, more than
        # the HTTP server's request line (4094 bytes) holds together: 414, as documented.
        "orders_query": (
            ["2xx", "400", "401", "403", "404", "409", "414"],
            "NData filters and $sort keys must parse; the request line is bounded by the server",
        ),
    },
    # not_a_server_error: the two 5xx the contracts document, each allowed on its operation
    # only, next to the check's defaults (any other 5xx still fails).
    "not_a_server_error": {
        operation_id: (["2xx", "3xx", "4xx", status], reason)
        for operation_id, (status, reason) in DOCUMENTED_SERVER_ERRORS.items()
    },
    # negative_data_rejection expects a request the schema refuses to be refused (4xx).
    "negative_data_rejection": {
        "v2_order_print_ticket": (
            [*PRINT_TICKET_ANSWERS, *documented("v2_order_print_ticket")],
            "an order marked for cancelation answers 200 before lptPort is read (the contract's "
            "table puts that row before a bad lptPort); an lptPort in the query string wins and "
            "the body's is then not read (documented in the operation)",
        ),
    },
}
SEED = 20261123  # the same inputs every run, so a failure in CI reproduces here
RUN_TIMEOUT = 400  # seconds; a run takes one to two minutes on a 2-CPU machine

# Operations with path parameters, and which seeded record each parameter should name.
EXISTING_RECORDS = {
    r"^/api/v2/orders/\{identifier\}": {"identifier": "order_number"},
    r"^/orders/\{order_id\}$": {"order_id": "order_id"},
    r"^/orders/\{order_id\}/status$": {"order_id": "order_id"},
    r"^/orders/\{order_id\}/items/": {"order_id": "order_id", "item_id": "item_id"},
    r"^/orders/\{order_id\}/endpoints/": {
        "order_id": "order_id",
        "endpoint_name": "endpoint_name",
    },
    r"^/api/v2/delete_reasons/\{code\}$": {"code": "delete_reason"},
    r"^/api/v2/customers/\{number\}$": {"number": "customer"},
    r"^/api/v2/addons/\{code\}$": {"code": "addon"},
    r"^/api/v2/job_track/stations/\{code\}$": {"code": "station"},
    r"^/api/v2/printers/\{name\}$": {"name": "printer"},
    r"^/api/v2/workstations/\{code\}$": {"code": "workstation"},
    r"^/api/v2/webhooks/\{id\}": {"id": "webhook"},
}


def schemathesis_command() -> list[str]:
    executable = Path(sys.executable).with_name("schemathesis")
    if executable.exists():
        return [str(executable)]
    found = shutil.which("schemathesis")
    if found is None:
        pytest.fail("schemathesis is not installed: pip install -e '.[dev]'", pytrace=False)
    return [found]


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def existing_records_config(records: dict[str, str]) -> str:
    values = {**records, "workstation": "00"}
    blocks = []
    for path_regex, parameters in EXISTING_RECORDS.items():
        assignments = ", ".join(
            f"{toml_string('path.' + name)} = {toml_string(values[record])}"
            for name, record in parameters.items()
        )
        blocks.append(
            f"[[operations]]\ninclude-path-regex = {toml_string(path_regex)}\n"
            f"parameters = {{ {assignments} }}\n"
        )
    return "\n".join(blocks)


def exceptions_config() -> str:
    """``EXCEPTIONS`` as schemathesis' per-operation configuration."""
    blocks = []
    for check, operations in EXCEPTIONS.items():
        for operation_id, (statuses, _reason) in operations.items():
            listed = ", ".join(toml_string(status) for status in statuses)
            blocks.append(
                f"[[operations]]\ninclude-operation-id = {toml_string(operation_id)}\n"
                f"checks.{check}.expected-statuses = [{listed}]\n"
            )
    return "\n".join(blocks)


def fuzz(served_labsite, workdir: Path, *, config: str | None, extra: list[str]) -> str:
    command = schemathesis_command()
    config_file = workdir / "schemathesis.toml"
    config_file.write_text("\n".join(part for part in (config, exceptions_config()) if part))
    command += ["--config-file", str(config_file)]
    command += [
        "run",
        f"{served_labsite.base_url}/api/schema/",
        "--checks",
        ",".join(CHECKS),
        "--header",
        f"Authorization: Bearer {served_labsite.api_key}",
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--generation-allow-x00",
        "true",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(workdir / "report"),
        *extra,
    ]
    result = subprocess.run(  # noqa: S603 - the schemathesis CLI on our own server
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, (
        f"schemathesis found problems (exit {result.returncode}):\n{output}\n"
        f"--- server log (end) ---\n{served_labsite.log()[-4000:]}"
    )
    return output


def operation_counts(output: str) -> tuple[int, int]:
    """(selected, tested) from schemathesis' summary."""
    selected = tested = -1
    for line in output.splitlines():
        words = line.split()
        if words[:1] == ["Selected:"]:
            selected = int(words[1].split("/")[0])
        elif words[:1] == ["Tested:"]:
            tested = int(words[1])
    return selected, tested


def test_every_operation_survives_fuzzing_and_answers_as_the_schema_says(served_labsite, tmp_path):
    output = fuzz(
        served_labsite,
        tmp_path,
        config=None,
        extra=["--max-examples", "20", "--phases", "coverage,fuzzing"],
    )
    selected, tested = operation_counts(output)
    assert selected >= 40, output  # all three faces: 41 operations when this was written
    assert tested == selected, output


def test_operations_on_existing_records_survive_fuzzing_and_answer_as_the_schema_says(
    served_labsite, tmp_path
):
    output = fuzz(
        served_labsite,
        tmp_path,
        config=existing_records_config(served_labsite.records),
        extra=[
            "--max-examples",
            "15",
            "--phases",
            "examples,fuzzing",
            "--include-path-regex",
            "|".join(EXISTING_RECORDS),
        ],
    )
    selected, tested = operation_counts(output)
    assert selected >= 20, output  # every operation with a path parameter
    assert tested == selected, output
