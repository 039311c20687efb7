"""The Streamlit app starts and renders its page (the dashboard itself comes with its own issue)."""

from streamlit.testing.v1 import AppTest


def test_app_renders_without_exception_and_shows_the_factor_base_version(factors):
    app = AppTest.from_file("../app.py", default_timeout=60).run()
    assert not app.exception
    assert any(factors.version in block.value for block in app.info)
