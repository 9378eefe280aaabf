"""The Kubernetes edge of mesoshim and its translating executor.

The modules here that carry no I/O are the functional core of the edge:

- :mod:`executor.translate`: a Mesos ``TaskInfo`` becomes a Pod manifest (a plain dict).
- :mod:`executor.status`: what Kubernetes shows about a pod becomes a Mesos task state.

Both are pure and synchronous; neither imports a Kubernetes client.
"""
