"""Opinion maps and common ground from agree / disagree / pass votes.

Pure numpy/scipy (no Django), so it can run in a worker, a CLI or a benchmark alike.

The method follows Pol.is's own math (polismath conversation.clj, pca.clj, clusters.clj,
repness.clj): who is kept, the sparsity-aware 2-D projection, 100 base clusters, 2-5 opinion
groups chosen by silhouette on the base-cluster centres, group-aware consensus, representative
statements with Pol.is's one-sided proportion tests, and overall consensus. A second, independent
lens scores each statement for bridging with a regularized intercept + one-factor matrix
factorization in the style of Community Notes.

Votes arrive as a scipy CSR matrix of participants x statements whose *stored* entries are votes:
+1 agree, -1 disagree and a stored 0 for pass; entries that are not stored were never seen. Build
one with `vote_matrix_from_triples` rather than by hand, so passes survive as stored zeros.

The parts: `votes` (the matrix), `mapping` (who is on the map, PCA, clusters), `polis_stats`
(Pol.is's tests, representative statements, consensus), `bridging` (the second lens),
`common_ground` (what may be called common ground at all) and `pipeline` (`analyze`, `update`).
"""

from commonground.engine.bridging import _bridging
from commonground.engine.mapping import (
    admitted_over_time,
    kmeans,
    participants_in_conversation,
    silhouette,
    sparse_pca,
)
from commonground.engine.pipeline import Options, Result, State, analyze, update
from commonground.engine.polis_stats import (
    Z_90,
    RepStatement,
    _metric,
    comment_stats,
    group_aware_consensus,
    prop_test,
    repness_stats,
    select_consensus,
    select_rep_statements,
    two_prop_test,
)
from commonground.engine.votes import VoteMatrix, merge_votes, vote_matrix_from_triples

__all__ = [
    "Options",
    "RepStatement",
    "Result",
    "State",
    "VoteMatrix",
    "Z_90",
    "_bridging",
    "_metric",
    "admitted_over_time",
    "analyze",
    "comment_stats",
    "group_aware_consensus",
    "kmeans",
    "merge_votes",
    "participants_in_conversation",
    "prop_test",
    "repness_stats",
    "select_consensus",
    "select_rep_statements",
    "silhouette",
    "sparse_pca",
    "two_prop_test",
    "update",
    "vote_matrix_from_triples",
]
