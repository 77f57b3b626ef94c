"""``python -m utils.data.demo``: runs :func:`utils.data.demo.cli.main`."""

if __name__ == "__main__":
    from .cli import main

    raise SystemExit(main())
