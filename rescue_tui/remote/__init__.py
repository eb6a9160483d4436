"""Reaching files on the network on the operator's behalf: NFS directories mounted read-only, files fetched.

Used at the edges (a backend spec, a layout named by URL), never by the stages that plan: a layout
is fetched to a local copy first, and the engine reads that copy as it reads any file.
"""
