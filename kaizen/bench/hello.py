"""The baseline of every benchmark figure: a bare Flask hello world, served like Kaizen."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """The cheapest answer Flask can give."""
    return "Hello, World!"
