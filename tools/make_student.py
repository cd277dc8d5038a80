"""Write student copies of the notebooks: cells tagged `solution` removed, outputs cleared.

    python tools/make_student.py            # into build/student/ (`make student`)
    python tools/make_student.py --force    # overwrite existing copies (they may hold a student's work)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.run_notebooks import notebook_paths  # noqa: E402

SOLUTION_TAG = "solution"


def is_solution(cell):
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def student_copy(nb):
    """A copy of notebook ``nb`` without solution cells and without outputs."""
    copy = nbformat.from_dict(nb)
    copy.cells = [cell for cell in copy.cells if not is_solution(cell)]
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return copy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student", help="output folder")
    parser.add_argument("--force", action="store_true", help="overwrite student copies that already exist")
    args = parser.parse_args(argv)

    targets = [(path, args.out / path.name) for path in notebook_paths()]
    existing = [str(out) for _, out in targets if out.exists()]
    if existing and not args.force:
        print("refusing to overwrite existing student copies (they may hold a student's work):\n  "
              + "\n  ".join(existing) + "\nmove them away, or rerun with --force (make student FORCE=1)",
              file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for path, out in targets:
        nb = student_copy(nbformat.read(str(path), as_version=4))
        nbformat.validate(nb)
        nbformat.write(nb, str(out))
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
