"""A question's ballots as files, and paper ballots from files: PrefLib for rankings, Pabulib
for approvals, scores and budgets (the readers and writers are in assemblies.methods.formats).

Downloads are anonymised: no voter, group or time, only the ballots and how many cast each,
so anyone may recount them with another tool. Options are numbered in their order on the
question; a file's alternatives are matched to options by name first, then by that number.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from assemblies import counting
from assemblies.methods import DecideError
from assemblies.methods import formats as formats
from assemblies.models import RANKED, Method, Question

MAX_UPLOAD = 20 * 1024 * 1024


def formats_for(question: Question) -> list[str]:
    if question.yes_no:
        return ["csv"]
    if question.method in RANKED or question.method == Method.PLURALITY:
        return ["preflib"]
    return ["pb"]


def _ballots(question: Question) -> tuple[list[str], dict[str, str], list[Any]]:
    options = list(question.options.all())
    ids = [str(o.pk) for o in options]
    names = {str(o.pk): o.label for o in options}
    ballots = [
        counting.method_ballot(question, c, w) for c, _s, w in counting.grouped_ballots(question)
    ]
    return ids, names, ballots


def export(question: Question, fmt: str) -> tuple[str, str]:
    """(file text, extension)."""
    if fmt == "csv":
        lines = ["position,ballots"]
        totals: dict[str, int] = {}
        for content, _source, weight in counting.grouped_ballots(question):
            key = str(content.get("position", ""))
            totals[key] = totals.get(key, 0) + weight
        lines += [f"{k},{v}" for k, v in sorted(totals.items())]
        return "\n".join(lines) + "\n", "csv"
    ids, names, ballots = _ballots(question)
    if fmt == "preflib":
        data_type, body = formats.write_preflib(ids, ballots, names=names, title=question.title)
        return body, data_type
    costs = {
        str(o.pk): o.cost if o.cost is not None else Decimal(1) for o in question.options.all()
    }
    budget = question.budget if question.budget is not None else Decimal(question.seats)
    kind = "scoring" if question.method == Method.SCORE else "approval"
    body = formats.write_pabulib(
        ids, ballots, costs=costs, budget=budget, kind=kind, names=names, description=question.title
    )
    return body, "pb"


def _match(question: Question, file_ids: list[str], file_names: dict[str, str]) -> dict[str, str]:
    """The file's candidate ids to this question's option ids."""
    options = list(question.options.all())
    by_label = {o.label.strip().lower(): str(o.pk) for o in options}
    mapping: dict[str, str] = {}
    for position, cid in enumerate(file_ids):
        name = (file_names.get(cid) or "").strip().lower()
        if name in by_label:
            mapping[cid] = by_label[name]
        elif position < len(options):
            mapping[cid] = str(options[position].pk)
        else:
            raise ValidationError(
                _("The file names more options than this question has (%(n)d).")
                % {"n": len(options)}
            )
    return mapping


def read_upload(question: Question, upload: UploadedFile) -> list[tuple[dict[str, Any], int]]:
    """Ballots of a PrefLib or Pabulib file as (ballot content, how many) pairs."""
    if question.yes_no:
        raise ValidationError(_("Paper ballots for a yes/no question are recorded at a meeting."))
    if (upload.size or 0) > MAX_UPLOAD:
        raise ValidationError(_("The file is larger than 20 MB."))
    name = (upload.name or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    try:
        text = formats.read_text(upload.read(), what=_("The file"))
        if ext == "pb":
            election = formats.parse_pabulib(text)
        elif ext in formats.PREFLIB_TYPES:
            election = formats.parse_preflib(text, data_type=ext)
        else:
            raise ValidationError(_("Upload a .soc, .soi, .toc, .toi or .pb file."))
    except DecideError as error:
        raise ValidationError(str(error)) from error
    mapping = _match(question, list(election.candidates), dict(election.names))
    out: list[tuple[dict[str, Any], int]] = []
    for ballot in election.ballots:
        if question.method in RANKED:
            content: dict[str, Any] = {
                "ranking": [[mapping[c] for c in group] for group in ballot.ranking]
            }
        elif question.method == Method.PLURALITY:
            first = ballot.ranked_candidates()[:1]
            content = {"choice": mapping[first[0]]} if first else {}
        elif question.method == Method.SCORE:
            content = {"scores": {mapping[c]: int(s) for c, s in ballot.scores.items()}}
        else:
            content = {"approvals": sorted(mapping[c] for c in ballot.supported())}
        if content:
            out.append((content, ballot.weight))
    return out
