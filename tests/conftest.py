from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_VECTORS = PROJECT_ROOT.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def shared_vectors() -> Path:
    """The published vectors in ../shared/vectors. They are required, never skipped."""
    if not SHARED_VECTORS.is_dir():
        pytest.fail(f"published test vectors not found at {SHARED_VECTORS}")
    return SHARED_VECTORS
