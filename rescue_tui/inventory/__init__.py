"""The disks present now: live from udev, or simulated from a JSON file."""
