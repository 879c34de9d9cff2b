"""Root conftest: registers the conformance plugin when running from a checkout.

An installed package registers the same module as the ``pytest11`` entry point
``conformance.plugin``; pytest then sees it already registered and skips this.
"""

pytest_plugins = ["conformance.plugin"]
