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
)
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
    r"^/api/v2/job_track/stations/\{code\}$": {"code": "station"},
    r"^/api/v2/printers/\{name\}$": {"name": "printer"},
    r"^/api/v2/workstations/\{code\}$": {"code": "workstation"},
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


def fuzz(served_labsite, workdir: Path, *, config: str | None, extra: list[str]) -> str:
    command = schemathesis_command()
    if config is not None:
        config_file = workdir / "schemathesis.toml"
        config_file.write_text(config)
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
