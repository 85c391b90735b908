"""`scratch-cnn repro CASE`: run one case and show every number, for a failure's repro line."""

import numpy as np

from . import catalog


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
        for name in names:
            for case in catalog.COMPONENTS[name].cases:
                print(f"{case.id}  [{', '.join(sorted(case.grids))}]")
        return 0
    if not args.case:
        print("scratch-cnn repro: error: name a case (see --list)")
        return 2
    try:
        case = catalog.find(args.case)
        session = Session(load_target(args.impl), "full", args.seed, args.oracle)
    except (KeyError, TargetError, RuntimeError) as exc:
        print(f"scratch-cnn repro: error: {exc.args[0]}")
        return 2
    inputs, outcome, checks = session.verdict(case)
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
    return 0 if all(c.ok for c in checks.values()) else 1
