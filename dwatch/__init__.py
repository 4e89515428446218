"""The application shell: configuration, storage, alerts, the `dwatch` CLI, web and worker start-up."""
