"""Changes of one workstation's port map racing each other, on PostgreSQL.

Twenty PUT and PATCH requests for one workstation, released together: each is answered 200
(none a 500 from two of them creating the same port at once), and the map ends as one of
them left it, one row per port.

SQLite serializes writers, so there is nothing to prove there: skipped.
"""

import pytest

from printing.models import Printer, WorkstationPort
from tests.concurrency import Caller, assert_no_server_errors

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("code", ["00", "07"])  # as migrated, and one that does not exist yet
def test_racing_port_map_changes_of_one_workstation_all_succeed(code, make_user, run_together):
    printers = [
        Printer.objects.create(name=f"Bench {n}", driver="spool", folder=f"/srv/bench-{n}")
        for n in range(2)
    ]
    caller = Caller(make_user(rights=("printing.change_workstation",)))
    bodies = [
        {"lptPorts": {f"LPT{port}": printers[n % 2].name for port in range(1, 10)}}
        for n in range(20)
    ]

    answers = run_together(
        [
            lambda n=n, body=body: caller.request(
                "put" if n % 4 == 0 else "patch", f"/api/v2/workstations/{code}", body
            )
            for n, body in enumerate(bodies)
        ]
    )

    assert_no_server_errors(answers)
    assert [answer.status for answer in answers] == [200] * 20
    ports = WorkstationPort.objects.filter(workstation__code=code)
    assert sorted(ports.values_list("number", flat=True)) == list(range(1, 10))
    assert {port.printer.name for port in ports} <= {printer.name for printer in printers}
