"""`cistreams sync`: ART's whole sync-ci-images job, group by group, with the cluster as its
lock and memory.

`steps` is the typed interface between a group's run and its steps, `adapters` the four
steps of the job (gen-buildconfigs --apply, mirror, start-builds, check-upstream) through
their verbs' core functions, `revision` the build data's checkout and revision, `runner`
the groups' runs (the Lease of `cistreams.cluster.lease`, change detection, steps in order,
groups side by side) and `reports` the summary table, the JSON report and the JUnit file.
"""
