"""The rubric: what is graded, for how many points, on which inputs, and which of the book's
known differences from PyTorch are accepted. Defaults grade the book's chapter 7 contract;
a TOML file overrides any part (see conformance/examples/rubric.toml)."""

import dataclasses
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

from .. import catalog, divergences

DEFAULT_POINTS = {"im2col": 10, "col2im": 10, "Convolution": 20, "Pooling": 15, "Relu": 5,
                  "Affine": 10, "SoftmaxWithLoss": 10, "SimpleConvNet": 20}
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
_KEYS = {"grid", "oracle", "hidden", "hidden_visibility", "visible_seed", "entry", "timeout",
         "memory_mb", "time_budget", "partial_credit", "points", "differences", "aliases",
         "secret", "contract_share", "requirements", "apt"}
# The hidden inputs derive from a per-assignment secret; this environment variable, when set,
# wins over the rubric's `secret` (so that a secret can stay out of files).
SECRET_VARIABLE = "SCRATCH_CNN_GRADING_SECRET"
# Without any secret the hidden inputs still repeat on every machine, but anyone with this
# tool can compute them: the report says so.
_PUBLIC_SECRET = "scratch-cnn has no secret for this assignment"
# Debian policy 5.6.7: lower-case letters, digits, + - . ; two characters or more, starting
# alphanumeric. An optional =VERSION pins it (apt-get install name=version).
_APT_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?")


class RubricError(ValueError):
    """The rubric file is wrong; the message names the key and what it accepts."""


@dataclass
class Rubric:
    points: dict = field(default_factory=lambda: dict(DEFAULT_POINTS))
    grid: str = "quick"
    oracle: str = "reference"
    hidden: bool = True  # every test again on other inputs, derived from the secret
    # Gradescope shows students their total unless a test is after_due_date/after_published;
    # "hidden" tests never show but still count (docs/gradescope.md)
    hidden_visibility: str = "hidden"
    secret: str | None = None  # the hidden inputs derive from it and the case, nothing else
    contract_share: float = 0.1  # of each component's points: the array contract's line
    visible_seed: int = 0  # the visible tests' inputs: students can reproduce them
    entry: str | list | None = None  # the file(s) to run when the submission is a folder
    timeout: float = 5.0  # seconds per call into the submission
    memory_mb: int = 1024
    time_budget: float = 300.0  # seconds for the whole grading; what is left is not run
    partial_credit: bool = True  # a test scores the fraction of its cases that pass
    differences: dict = field(default_factory=dict)  # difference name -> policy override
    aliases: dict = field(default_factory=lambda: {"names": {}, "attributes": {}})
    # installed where submissions are graded (the bundles' setup): what students may import
    requirements: list = field(default_factory=list)  # pip requirement strings
    apt: list = field(default_factory=list)  # Debian/Ubuntu package names
    source: str = "default rubric"
    seed_override: int | None = None  # a hidden seed given on the command line (tests)

    def policy_of(self, name):
        return self.differences.get(name, divergences.get(name)["grading"])

    def accepted(self):
        return frozenset(n for n in divergences.all_differences()
                         if self.policy_of(n) == "accepted")

    def ungraded_tags(self):
        return divergences.ungraded_tags(
            n for n in divergences.all_differences() if self.policy_of(n) == "ungraded")

    def graded(self, case):
        """Is this case part of the grade? Cases outside the book's contract are not,
        unless the rubric opts in."""
        return not (case.tags & self.ungraded_tags())

    def _secret(self):
        """(secret, where it came from)."""
        if os.environ.get(SECRET_VARIABLE):
            return os.environ[SECRET_VARIABLE], f"${SECRET_VARIABLE}"
        if self.secret:
            return self.secret, f"the rubric's secret ({self.source})"
        return _PUBLIC_SECRET, None

    def hidden_seed(self):
        """The hidden inputs' seed: HMAC-SHA256 of the secret. Every case draws its inputs
        from this seed and its own name, so a re-grade of the same file gives the same
        results on any machine, and a new secret gives new hidden inputs."""
        if self.seed_override is not None:
            return self.seed_override
        secret, _ = self._secret()
        digest = hmac.new(secret.encode(), b"scratch-cnn hidden inputs", hashlib.sha256)
        return int.from_bytes(digest.digest()[:8], "big") >> 1

    def describe_hidden_inputs(self):
        """Where the hidden inputs come from, in words for the report (never the secret)."""
        if self.seed_override is not None:
            return f"hidden inputs from seed {self.seed_override} (given on the command line)"
        secret, where = self._secret()
        if where is None:
            return ("hidden inputs are NOT secret: no secret is set, so anyone with this tool "
                    "can compute them; set `secret` in the rubric or $" + SECRET_VARIABLE)
        fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:12]
        return f"hidden inputs derived from {where}, fingerprint #{fingerprint}"

    def with_hidden_seed(self, seed):
        return dataclasses.replace(self, seed_override=int(seed))

    def driver_aliases(self):
        merged = {**self.aliases.get("names", {}), **self.aliases.get("attributes", {})}
        return merged or None


def load(path=None):
    """The default rubric, or the default overridden by the TOML file at `path`."""
    rubric = Rubric()
    if path is None:
        return rubric
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise RubricError("reading a rubric on Python 3.10 needs tomli: "
                              "pip install 'scratch-cnn[grade]'") from None
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise RubricError(f"cannot read the rubric {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(data) - _KEYS
    if unknown:
        raise RubricError(f"{path}: unknown keys {sorted(unknown)}; a rubric may set "
                          f"{sorted(_KEYS)}")
    rubric.source = str(path)
    for key in _KEYS - {"points", "differences", "aliases"}:
        if key in data:
            setattr(rubric, key, data[key])
    if "points" in data:
        rubric.points = dict(data["points"])
    rubric.differences = dict(data.get("differences", {}))
    aliases = data.get("aliases", {})
    rubric.aliases = {"names": dict(aliases.get("names", {})),
                      "attributes": dict(aliases.get("attributes", {}))}
    _validate(rubric, path)
    return rubric


def _validate(rubric, path):
    def fail(message):
        raise RubricError(f"{path}: {message}")

    for name, points in rubric.points.items():
        if name not in catalog.COMPONENTS:
            fail(f"points: unknown component {name!r}; known: {', '.join(catalog.COMPONENTS)}")
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0:
            fail(f"points.{name} must be a number >= 0; got {points!r}")
    if rubric.grid not in catalog.GRIDS:
        fail(f"grid must be one of {catalog.GRIDS}; got {rubric.grid!r}")
    if rubric.oracle not in ("reference", "torch"):
        fail(f"oracle must be 'reference' or 'torch'; got {rubric.oracle!r}")
    if rubric.hidden_visibility not in VISIBILITIES:
        fail(f"hidden_visibility must be one of {VISIBILITIES}; got {rubric.hidden_visibility!r}")
    for key, kind in (("hidden", bool), ("partial_credit", bool), ("visible_seed", int)):
        if not isinstance(getattr(rubric, key), kind):
            fail(f"{key} must be a {kind.__name__}; got {getattr(rubric, key)!r}")
    if rubric.secret is not None and not (isinstance(rubric.secret, str) and rubric.secret):
        fail("secret must be a non-empty string (any text; keep it out of students' reach)")
    share = rubric.contract_share
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share < 1:
        fail(f"contract_share must be a number from 0 up to (not including) 1; got {share!r}")
    entry = rubric.entry
    if entry is not None and not (isinstance(entry, str) or (
            isinstance(entry, list) and entry and all(isinstance(e, str) for e in entry))):
        fail(f"entry must be a file name or a list of file names; got {entry!r}")
    for key in ("timeout", "memory_mb", "time_budget"):
        value = getattr(rubric, key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            fail(f"{key} must be a positive number; got {value!r}")
    for name, policy in rubric.differences.items():
        if name not in divergences.all_differences():
            fail(f"differences: unknown difference {name!r}; known: "
                 f"{', '.join(divergences.all_differences())}")
        if policy not in divergences.POLICIES:
            fail(f"differences.{name} must be one of {divergences.POLICIES}; got {policy!r}")
    for key in ("requirements", "apt"):
        value = getattr(rubric, key)
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            fail(f"{key} must be a list of strings, e.g. {key} = [\"matplotlib\"]; got {value!r}")
    for requirement in rubric.requirements:
        # one requirement per string: pip reads them from a requirements file, where a line
        # starting with - is an option (another index, another file), not a package
        if not requirement.strip() or requirement.lstrip().startswith("-") \
                or "\n" in requirement:
            fail(f"requirements: {requirement!r} is not a requirement; give one package per "
                 f"string, as pip accepts it (\"matplotlib\", \"pandas>=2,<3\"), no options")
    for package in rubric.apt:
        if not _APT_PACKAGE.fullmatch(package):
            fail(f"apt: {package!r} is not a Debian package name (lower-case letters, digits, "
                 f"+ - . ; optionally =VERSION), e.g. apt = [\"graphviz\"]")
    for group in ("names", "attributes"):
        for old, new in rubric.aliases[group].items():
            if not (isinstance(new, str) and new.isidentifier()):
                fail(f"aliases.{group}.{old} must name an identifier; got {new!r}")
