"""The server-rendered web shell: login, layout, navigation and the workspace home."""
