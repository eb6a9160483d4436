"""Publish a machine's recovery set to an S3 bucket, and network-boot the rescue image from there.

``rescue-tui publish --to s3://BUCKET/PREFIX/`` puts the machine's layout, its backup manifest and
the rescue image's network-boot files (kernel, network initramfs, squashfs) into the bucket, with
iPXE scripts that let a machine find its own recovery set by its MAC or DMI serial. Nothing but
the bucket serves them: iPXE loads the kernel over HTTP, live-boot fetches the squashfs, the
rescue system fetches its layout.
"""
