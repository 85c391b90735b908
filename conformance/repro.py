"""`scratch-cnn repro CASE`: run one case and show every number, for a failure's repro line."""

import sys

import numpy as np

from . import catalog
from .cli import CHECKS_FAILED, OK, USAGE


def configure(parser):
    parser.add_argument("case", nargs="?", help="a case id, as printed by a failure")
    parser.add_argument("--impl", default="scratch_cnn", help="implementation (as --impl)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oracle", default="torch", choices=("torch", "reference"))
    parser.add_argument("--list", metavar="COMPONENT", nargs="?", const="",
                        help="list the case ids (of one component)")
    parser.add_argument("--save", metavar="FILE.npz",
                        help="save the inputs, the outputs and the expected outputs")


def run(args):
    from .suite import Session, TargetError, load_target

    if args.list is not None:
        names = [args.list] if args.list else list(catalog.COMPONENTS)
        unknown = [name for name in names if name not in catalog.COMPONENTS]
        if unknown:
            return _fail(f"no component {unknown[0]!r}; the components are "
                         f"{', '.join(catalog.COMPONENTS)}")
        for name in names:
            for case in catalog.COMPONENTS[name].cases:
                print(f"{case.id}  [{', '.join(sorted(case.grids))}]")
        return OK
    if not args.case:
        return _fail("name a case (see --list)")
    try:
        case = catalog.find(args.case)
        session = Session(load_target(args.impl), "full", args.seed, args.oracle)
    except (KeyError, TargetError, RuntimeError) as exc:
        return _fail(exc.args[0])
    run = session.verdict(case)
    inputs, outcome, checks = run.inputs, run.outcome, run.checks
    print(f"case {case.id} (seed {args.seed}) on {session.target.description}")
    for name, value in inputs.items():
        print(f"input {name}: shape {np.shape(value)}, dtype {np.asarray(value).dtype}")
    if outcome.status != "ok":
        print(outcome.describe_error(case.component))
    for behaviour, check in checks.items():
        print(f"{behaviour}: {'ok' if check.ok else 'FAILED'}")
        if not check.ok:
            print(check.message)
        for note in check.notes:
            print(f"  note: {note}")
    if args.save:
        expected = {} if case.error else session.oracle.compute(
            catalog.COMPONENTS[case.component], case.params, inputs)
        arrays = {f"input_{k}": v for k, v in inputs.items()}
        arrays.update({f"output_{k}": np.asarray(v) for k, v in outcome.outputs.items()})
        arrays.update({f"expected_{k}": v for k, v in expected.items()})
        np.savez(args.save, **arrays)
        print(f"saved to {args.save}")
    return OK if all(c.ok for c in checks.values()) else CHECKS_FAILED


def _fail(message):
    print(f"scratch-cnn repro: error: {message}", file=sys.stderr)
    return USAGE
