"""What Kubeflow Pipelines and Vertex AI Pipelines share: the compiler from a sundial pipeline
to a KFP v2 pipeline spec (``compiler``, needs ``kfp``) and the cron and interval conversions
both need (``timing``, pure). Importing this package imports no SDK."""
