"""A coalition with one member group, conversations in it, and planted vote matrices."""

from dataclasses import dataclass

import numpy as np
import pytest

from accounts.models import User
from coalitions import services as coalition_services
from commonground import services
from commonground.models import Access, Conversation, Moderation
from directory import services as directory_services
from directory.models import Organization
from places.models import Place


@dataclass
class Cast:
    coalition: Organization  # administered by `organizer`
    group: Organization  # administered by `member`; an active member of the coalition


@pytest.fixture
def cast(places: dict[str, Place], organizer: User, member: User) -> Cast:
    coalition = directory_services.organization_create(
        user=organizer, name="Cascadia Housing Coalition", kind="coalition", home_place=places["us"]
    )
    group = directory_services.organization_create(
        user=member, name="Portland Tenants", home_place=places["portland"]
    )
    link = coalition_services.membership_request(user=member, coalition=coalition, member=group)
    coalition_services.membership_accept(user=organizer, membership=link)
    return Cast(coalition=coalition, group=group)


@pytest.fixture
def members_only(cast: Cast, organizer: User) -> Conversation:
    return services.conversation_create(
        user=organizer,
        title="What should the coalition fight for next?",
        organization=cast.coalition,
        access=Access.MEMBERS,
        moderation=Moderation.BEFORE,
        seed_statements=["Rent control first.", "Build public housing.", "Stop evictions now."],
    )


@pytest.fixture
def open_conversation(organizer: User, db: None) -> Conversation:
    return services.conversation_create(
        user=organizer,
        title="How should the hub grow?",
        seed_statements=["Meet in person monthly.", "Keep it online."],
    )


def planted_votes(
    n_per_group: int = 20, n_statements: int = 16, groups: int = 2, seed: int = 1
) -> tuple[str, str, list[int]]:
    """votes.csv and comments.csv where each group agrees with its own half of the statements
    and disagrees with the rest (with a little noise), and the true group of each voter."""
    rng = np.random.default_rng(seed)
    lines = ["timestamp,datetime,comment-id,voter-id,vote"]
    truth = []
    t = 1_600_000_000_000
    for g in range(groups):
        for i in range(n_per_group):
            voter = g * n_per_group + i
            truth.append(g)
            for s in range(n_statements):
                if rng.random() < 0.15:
                    continue
                own = s % groups == g
                vote = 1 if own else -1
                if rng.random() < 0.1:
                    vote = -vote
                t += 1000
                lines.append(f"{t},,{s},{voter},{vote}")
    comments = ["timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"]
    for s in range(n_statements):
        comments.append(f"{1_599_000_000_000 + s},,{s},{s},0,0,1,Planted statement {s}")
    return "\n".join(lines) + "\n", "\n".join(comments) + "\n", truth


def camp_votes(statements: list[tuple[int, int]], per_camp: int = 4) -> tuple[str, str]:
    """votes.csv and comments.csv for two camps of `per_camp` people; statement s gets
    statements[s][0] from everyone in camp A and statements[s][1] from everyone in camp B."""
    lines = ["timestamp,datetime,comment-id,voter-id,vote"]
    t = 1_600_000_000_000
    for camp in range(2):
        for person in range(per_camp):
            for s, votes in enumerate(statements):
                t += 1000
                lines.append(f"{t},,{s},{camp * per_camp + person},{votes[camp]}")
    comments = ["timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"]
    for s in range(len(statements)):
        comments.append(f"{1_599_000_000_000 + s},,{s},{s},0,0,1,Camp statement {s}")
    return "\n".join(lines) + "\n", "\n".join(comments) + "\n"


# Two camps that answer every statement the opposite way.
POLARISED = [(1, -1), (1, -1), (1, -1), (-1, 1), (-1, 1), (-1, 1), (1, -1), (-1, 1)]
