"""The pipeline's stages, one folder each (config, build, records, report, declaration);
:mod:`harness.pipeline` lists them in order."""
