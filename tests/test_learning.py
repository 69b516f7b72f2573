"""The learning hub: every finished experiment's reflection, searchable, and "tried elsewhere?"."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, CardMove, Improvement, Outcome, Reflection, Waste
from kaizen.services import learning
from kaizen.services.learning import LessonFilters, find_lessons, suggest_similar
from tests.conftest import SignIn
from tests.factories import make_area, make_improvement, make_team, make_user


def make_finished(
    session: Session,
    title: str,
    outcome: Outcome,
    *,
    learnt: str = "",
    take_forward: str = "",
    do_differently: str = "",
    author=None,
    written_at: datetime = datetime(2026, 5, 20, 9, 0),
    **card: object,
) -> Improvement:
    """A card that reached Done with the given outcome and a reflection."""
    improvement = make_improvement(session, title=title, created_at=datetime(2026, 4, 1), **card)
    improvement.board_column = BoardColumn.DONE
    improvement.outcome = outcome
    session.add(
        CardMove(
            improvement=improvement,
            from_column=BoardColumn.IDEAS,
            to_column=BoardColumn.DONE,
            moved_at=written_at,
        )
    )
    session.add(
        Reflection(
            improvement=improvement,
            learnt=learnt,
            take_forward=take_forward,
            do_differently=do_differently,
            author=author,
            created_at=written_at,
        )
    )
    session.flush()
    return improvement


def titles(session: Session, **filters: object) -> list[str]:
    return [row.title for row in find_lessons(session, LessonFilters(**filters))]  # type: ignore[arg-type]


def test_reflections_on_adopted_and_not_adopted_cards_are_both_in_the_hub(
    client: FlaskClient, session: Session
) -> None:
    make_finished(session, "Kanban square", Outcome.ADOPTED, learnt="Visual signals work.")
    make_finished(session, "Second forklift", Outcome.NOT_ADOPTED, learnt="Cost beat benefit.")
    session.commit()
    page = client.get("/learning").get_data(as_text=True)
    assert "Kanban square" in page and "Second forklift" in page
    assert "Not adopted" in page and "Adopted" in page
    assert titles(session, outcome=Outcome.NOT_ADOPTED) == ["Second forklift"]


def test_an_anonymous_reflection_shows_no_name(client: FlaskClient, session: Session) -> None:
    make_finished(
        session, "Tool shadow board", Outcome.ADOPTED, learnt="Ask the users.", author=None
    )
    session.commit()
    row = find_lessons(session, LessonFilters())[0]
    assert row.author == "Anonymous"
    assert "Anonymous" in client.get("/learning").get_data(as_text=True)


@pytest.mark.parametrize("answer", ["learnt", "take_forward", "do_differently"])
def test_search_finds_a_word_in_any_of_the_three_answers(session: Session, answer: str) -> None:
    make_finished(
        session, "Pallet labels", Outcome.ADOPTED, **{answer: "The Gemba walk showed it."}
    )
    make_finished(session, "Other card", Outcome.ADOPTED, learnt="Nothing in common.")
    session.commit()
    assert titles(session, text="gemba") == ["Pallet labels"]
    assert titles(session, text="GEMBA walk") == ["Pallet labels"]
    assert titles(session, text="gemba nowhere") == []


def test_the_hub_filters_by_waste_team_area_and_month(session: Session) -> None:
    press, assembly = make_team(session, name="Press"), make_team(session, name="Assembly")
    line = make_area(session, team=press)
    make_finished(
        session, "A", Outcome.ADOPTED, learnt="a", team=press, area=line, waste=Waste.WAITING
    )
    make_finished(
        session,
        "B",
        Outcome.ADOPTED,
        learnt="b",
        team=assembly,
        waste=Waste.MOTION,
        written_at=datetime(2026, 6, 2),
    )
    session.commit()
    assert titles(session, waste=Waste.MOTION) == ["B"]
    assert titles(session, team_id=press.id) == ["A"]
    assert titles(session, area_id=line.id) == ["A"]
    assert titles(session, start=datetime(2026, 6, 1), end=datetime(2026, 7, 1)) == ["B"]


def test_the_hub_page_filters_through_its_query_string(
    client: FlaskClient, session: Session
) -> None:
    make_finished(session, "Scanner holster", Outcome.NOT_ADOPTED, learnt="Holsters snag.")
    make_finished(session, "Label printer move", Outcome.ADOPTED, learnt="Closer is better.")
    session.commit()
    response = client.get(
        "/learning?q=holsters&outcome=not_adopted",
        headers={"HX-Request": "true", "HX-Target": "lesson-list"},
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="lesson-list"')
    assert "Scanner holster" in body and "Label printer move" not in body


def test_lessons_of_the_month_show_only_that_months_reflections(
    client: FlaskClient, session: Session
) -> None:
    make_finished(
        session, "May lesson", Outcome.ADOPTED, learnt="x", written_at=datetime(2026, 5, 3)
    )
    make_finished(
        session, "June lesson", Outcome.ADOPTED, learnt="y", written_at=datetime(2026, 6, 3)
    )
    session.commit()
    page = client.get("/learning/lessons/2026-05").get_data(as_text=True)
    assert "Lessons of May 2026" in page
    assert "May lesson" in page and "June lesson" not in page


def five_reflections_with_a_hub_limit_of_three(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(learning, "HUB_LIMIT", 3)
    for n in range(5):
        make_finished(
            session,
            f"Lesson {n + 1}",
            Outcome.ADOPTED,
            learnt="forklift" if n < 2 else "press",
            written_at=datetime(2026, 5, 3 + n),
        )
    session.commit()


def test_the_hub_says_when_it_shows_only_the_newest_reflections(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    five_reflections_with_a_hub_limit_of_three(session, monkeypatch)
    page = client.get("/learning").get_data(as_text=True)
    assert "Reflections 1\u20133 of 5, newest first" in page
    assert "Lesson 5" in page and "Lesson 2" not in page
    assert "Page 1 of 2" in page and 'href="/learning?page=2"' in page


def test_the_next_page_shows_the_older_reflections_and_keeps_the_search(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    five_reflections_with_a_hub_limit_of_three(session, monkeypatch)
    page = client.get("/learning?page=2").get_data(as_text=True)
    assert "Reflections 4\u20135 of 5, newest first" in page
    assert "Lesson 2" in page and "Lesson 1" in page and "Lesson 3" not in page
    assert 'href="/learning?page=1"' in page and "Older" not in page
    # A page past the last shows the last; a page that is not a number the first.
    assert "Reflections 4\u20135 of 5" in client.get("/learning?page=99").get_data(as_text=True)
    assert "Reflections 1\u20133 of 5" in client.get("/learning?page=x").get_data(as_text=True)


def test_a_narrowed_search_within_the_limit_shows_no_notice(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    five_reflections_with_a_hub_limit_of_three(session, monkeypatch)
    page = client.get("/learning?q=forklift").get_data(as_text=True)
    assert "Reflections 1\u2013" not in page and "Page 1 of" not in page
    assert "2 reflections" in page


def test_the_lessons_sheet_of_a_month_is_never_cut_short(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    five_reflections_with_a_hub_limit_of_three(session, monkeypatch)
    page = client.get("/learning/lessons/2026-05").get_data(as_text=True)
    assert all(f"Lesson {n}" in page for n in range(1, 6))


def test_an_empty_month_of_lessons_is_a_friendly_page(client: FlaskClient) -> None:
    response = client.get("/learning/lessons/2026-01")
    assert response.status_code == 200
    assert "No reflections were written in January 2026" in response.get_data(as_text=True)


def test_a_month_that_does_not_exist_is_a_404(client: FlaskClient) -> None:
    assert client.get("/learning/lessons/2026-13").status_code == 404


def test_tried_elsewhere_finds_an_earlier_card_from_a_paraphrased_title(session: Session) -> None:
    seeded = make_finished(
        session,
        "Forklift waiting at press line 2 for coil delivery",
        Outcome.NOT_ADOPTED,
        learnt="A second forklift only moved the queue to the warehouse.",
    )
    make_finished(
        session, "Shadow board for torque wrenches", Outcome.ADOPTED, learnt="Tools found faster."
    )
    make_finished(session, "Colour-coded paint hoses", Outcome.ADOPTED, learnt="Fewer mix-ups.")
    session.commit()

    suggestions = suggest_similar(session, "Press line two waits for the forklifts to bring coils")

    assert suggestions[0].improvement_id == seeded.id
    assert suggestions[0].outcome is Outcome.NOT_ADOPTED
    assert {"forklifts", "waits", "coils"} <= set(suggestions[0].shared_words)
    assert all(s.title != "Colour-coded paint hoses" for s in suggestions)


def test_tried_elsewhere_reads_all_three_answers(session: Session) -> None:
    # The shared words are only in "What would we do differently next time?".
    seeded = make_finished(
        session,
        "Faster changeover",
        Outcome.NOT_ADOPTED,
        learnt="It took longer than planned.",
        do_differently="Stage the hydraulic clamps before the die swap.",
    )
    session.commit()

    suggestions = suggest_similar(session, "Hydraulic clamps missing at die swap")

    assert [s.improvement_id for s in suggestions] == [seeded.id]
    assert {"hydraulic", "clamps", "swap"} <= set(suggestions[0].shared_words)


def test_tried_elsewhere_stays_quiet_for_unrelated_words(session: Session) -> None:
    make_finished(session, "Forklift waiting at press line 2", Outcome.ADOPTED, learnt="x")
    session.commit()
    assert suggest_similar(session, "Canteen menu survey") == []
    assert suggest_similar(session, "the and of") == []


def test_tried_elsewhere_answers_htmx_with_a_fragment(
    client: FlaskClient, session: Session
) -> None:
    make_finished(
        session, "Forklift waiting at press line 2", Outcome.ADOPTED, learnt="Kanban signal."
    )
    session.commit()
    response = client.get(
        "/learning/similar?title=forklifts+waiting+at+the+press", headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="tried-elsewhere"')
    assert "Forklift waiting at press line 2" in body
    assert "HX-Request" in response.headers["Vary"]


def test_nobody_is_ranked_on_the_learning_hub(client: FlaskClient, session: Session) -> None:
    author = make_user(session, display_name="Ana Lopez")
    for n in range(3):
        make_finished(session, f"Card {n}", Outcome.ADOPTED, learnt="l", author=author)
    session.commit()
    page = client.get("/learning").get_data(as_text=True).lower()
    assert "top " not in page and "rank" not in page and "leaderboard" not in page


def test_the_new_card_form_asks_for_similar_earlier_experiments(
    sign_in: SignIn, client: FlaskClient, session: Session
) -> None:
    member = make_user(session)
    session.commit()

    sign_in(member)
    page = client.get("/improvements/new").get_data(as_text=True)
    assert 'id="tried-elsewhere-slot"' in page
    assert 'hx-get="/learning/similar"' in page
