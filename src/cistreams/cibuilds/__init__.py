"""The CI builds of ART's sync-ci-images job, after mirror: start-builds and check-upstream.

`selection` finds the group's BuildConfigs from the build data, `qci` preserves and promotes
images on the QCI route (registry copies by digest, mirror's guarded imagestream patch),
`startbuilds` starts, watches and promotes the builds, `upstream` checks what CI serves;
`display` and `tables` show it, live on a terminal and one line per change in logs.
(`cistreams sync`, the whole job, is `cistreams.job`.)
"""
