"""Infrastructure: what any pipeline of artefacts needs, whatever it builds.

The content-addressed store with its manifests, locks, provenance and verification
(:mod:`~harness.core.store`), where builds run (:mod:`~harness.core.executor`: in this process or
on a Ray cluster), the scheduler that keeps a process busy (:mod:`~harness.core.scheduling`),
live progress, hashing, the project's folders and benchmark publishing. Nothing here names a
stage, an artefact kind or an environment: the stages hand those in, and no module here imports
one (``tests/test_layout.py`` checks it).
"""
