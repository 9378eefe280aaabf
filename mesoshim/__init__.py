"""mesoshim: a Mesos-compatible master that runs Mesos frameworks on Kubernetes."""
