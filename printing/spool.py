"""Where spool printers may write: folders under one base directory, the spool root.

A spool printer writes files wherever its folder says, with the spooler's rights; whoever may
configure printers must not be able to aim it at any folder of the server. So a spool folder
lies under the directory the environment variable ``PRINT_SPOOL_ROOT`` names (default
``data/spool``; a relative root is taken from the project's base directory). A relative folder
is taken inside the root; a folder that leads out of it, by ``..`` or through a symbolic link,
is refused.

The root is read from the environment each time it is needed, so a test (or an operator) can
point it elsewhere without reloading anything.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_SPOOL_ROOT = "data/spool"


def spool_root() -> Path:
    """The directory every spool folder lies in, absolute, with its symbolic links resolved."""
    root = Path(os.environ.get("PRINT_SPOOL_ROOT") or DEFAULT_SPOOL_ROOT)
    if not root.is_absolute():
        root = Path(settings.BASE_DIR) / root
    return root.resolve()


def spool_folder_path(folder: str) -> Path:
    """Where a printer's ``folder`` is: itself when absolute, else inside the spool root."""
    return spool_root() / folder  # joining an absolute folder gives that folder


def validate_spool_folder(folder: str) -> None:
    """Refuse a folder that does not lie under the spool root (the root itself is allowed)."""
    root = spool_root()
    try:
        # resolve() follows the symbolic links that exist and folds "..".
        inside = (root / folder).resolve().is_relative_to(root)
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a loop of links
        inside = False
    if not inside:
        raise ValidationError(
            "must lie inside the spool root %(root)s (PRINT_SPOOL_ROOT)",
            code="outside_spool_root",
            params={"root": root},
        )
