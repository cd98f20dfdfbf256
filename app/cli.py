"""flask commands: roles-sync, reference, demo, create-admin."""
import click
from flask import current_app
from flask.cli import with_appcontext


def register_cli(app):
    @app.cli.command("roles-sync")
    @with_appcontext
    def roles_sync():
        """Register permissions and grant the declared roles (app/roles.py)."""
        from app.roles import sync_roles

        sync_roles(current_app.appbuilder)
        click.echo("roles synced")

    @app.cli.command("reference")
    @with_appcontext
    def reference():
        """Load administrative divisions and the matter catalogue."""
        from app.reference import load_all

        click.echo(f"reference data loaded ({load_all()} new divisions)")

    @app.cli.command("demo")
    @with_appcontext
    def demo():
        """Load demo data (refused in production). Running it twice changes nothing."""
        from app.demo import DemoRefused, load_demo

        try:
            summary = load_demo()
        except DemoRefused as exc:
            raise click.ClickException(str(exc)) from None
        click.echo("demo data: " + ", ".join(f"{k}={v}" for k, v in summary.items()))

    @app.cli.command("create-admin")
    @click.option("--username", required=True)
    @click.option("--email", required=True)
    @click.password_option()
    @with_appcontext
    def create_admin(username, email, password):
        """Create an Admin account (production set-up)."""
        from app.identity import password_complexity

        password_complexity(password)
        sm = current_app.appbuilder.sm
        user = sm.add_user(username, username, "", email, sm.find_role("Admin"), password=password)
        if not user:
            raise click.ClickException("could not create the user (exists?)")
        click.echo(f"admin {username} created")
