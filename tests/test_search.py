"""Full-text search through the database's own engine (FTS5 on SQLite, tsvector on
PostgreSQL): ranking, stemming, every list that searches, hostile input, and an index that
follows every change."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kaizen.models import Observation, Role, Waste
from kaizen.services import root_causes
from kaizen.services.learning import LessonFilters, find_lessons, list_lessons, suggest_similar
from kaizen.services.observations import ObservationFilters, list_observations
from kaizen.services.search import MAX_WORDS, search_words
from tests.conftest import SignIn
from tests.factories import make_observation, make_reflection, make_user


def found(session: Session, text: str, **filters: object) -> list[str]:
    """The descriptions the observation list shows for a search, in order."""
    page = list_observations(session, ObservationFilters(text=text, **filters))  # type: ignore[arg-type]
    return [row.description for row in page.rows]


def lesson_titles(session: Session, text: str) -> list[str]:
    """The card titles the learning hub shows for a search, in order."""
    return [row.title for row in find_lessons(session, LessonFilters(text=text))]


def record_problems(session: Session, text: str) -> list[str]:
    """The problems the five-whys list shows for a search, in order."""
    return [row.problem for row in root_causes.list_root_causes(session, text=text)]


@pytest.fixture
def viewer_client(sign_in: SignIn, client: FlaskClient, session: Session) -> FlaskClient:
    """A client signed in as a viewer (who may read the observation list)."""
    viewer = make_user(session, role=Role.VIEWER)
    session.commit()
    sign_in(viewer)
    return client


# What a person types becomes plain words


def test_search_words_drop_quotes_operators_and_brackets() -> None:
    typed = 'forklift" AND (press* OR -coil) NEAR(a b) ^col:x \x01 {}'
    assert search_words(typed) == ["forklift", "press", "coil", "near", "b", "col", "x"]


def test_search_words_leave_out_common_english_words_and_repeats() -> None:
    assert search_words("Waiting for THE forklift, the forklift again") == ["waiting", "forklift"]


def test_search_words_are_few_however_long_the_text() -> None:
    assert len(search_words(" ".join(f"word{n}" for n in range(10_000)))) == MAX_WORDS


# Ranking and stemming


def test_a_better_match_comes_first_in_the_observation_list(session: Session) -> None:
    make_observation(
        session, description="Forklift blocked by pallets; the pallets were left near the dock."
    )
    make_observation(session, description="Forklift waiting, then another forklift waiting.")
    make_observation(session, description="Bins overflowing at the saw.")
    session.commit()
    assert found(session, "forklift waiting") == [
        "Forklift waiting, then another forklift waiting."
    ]
    assert found(session, "forklift")[0] == "Forklift waiting, then another forklift waiting."


def test_waiting_finds_waited_and_waits(session: Session) -> None:
    make_observation(session, description="Parts waited for the crane.")
    make_observation(session, description="The press waits for coils every morning.")
    make_observation(session, description="Bins overflowing at the saw.")
    session.commit()
    assert sorted(found(session, "waiting")) == [
        "Parts waited for the crane.",
        "The press waits for coils every morning.",
    ]


def test_a_search_ignores_case(session: Session) -> None:
    make_observation(session, description="FORKLIFT stuck by the Café door.")
    session.commit()
    assert found(session, "forklift CAFÉ") == ["FORKLIFT stuck by the Café door."]


# The observation list


def test_the_observation_list_search_keeps_its_other_filters(session: Session) -> None:
    make_observation(session, description="Forklift late again.", waste=Waste.WAITING)
    make_observation(session, description="Forklift drove the long way.", waste=Waste.TRANSPORT)
    make_observation(session, description="Bins overflowing.", waste=Waste.TRANSPORT)
    session.commit()
    assert found(session, "forklift", waste=Waste.TRANSPORT) == ["Forklift drove the long way."]
    page = list_observations(session, ObservationFilters(text="forklift"))
    assert page.total == 2 and page.best_first


def test_a_search_of_only_common_words_narrows_nothing(session: Session) -> None:
    make_observation(session, description="Bins overflowing.")
    make_observation(session, description="Forklift late.")
    session.commit()
    page = list_observations(session, ObservationFilters(text="the and of"))
    assert page.total == 2 and not page.best_first


def test_the_observations_page_has_a_labelled_search_that_its_csv_link_keeps(
    viewer_client: FlaskClient, session: Session
) -> None:
    make_observation(session, description="Forklift late again.")
    make_observation(session, description="Bins overflowing at the saw.")
    session.commit()
    page = viewer_client.get("/observations?q=forklift").get_data(as_text=True)
    assert '<label for="filter-q">Search the reports</label>' in page
    assert 'name="q" value="forklift"' in page
    assert "Forklift late again." in page and "Bins overflowing" not in page
    assert "1 report · best match first" in page
    assert 'href="/observations/export.csv?q=forklift"' in page


def test_the_observations_csv_holds_only_what_the_search_found(
    viewer_client: FlaskClient, session: Session
) -> None:
    make_observation(session, description="Forklift late again.")
    make_observation(session, description="Bins overflowing at the saw.")
    session.commit()
    csv = viewer_client.get("/observations/export.csv?q=forklifts").get_data(as_text=True)
    assert "Forklift late again." in csv and "Bins overflowing" not in csv


# The learning hub and the five-whys list


def test_the_hub_search_finds_the_cards_title_problem_and_stemmed_answers(
    session: Session,
) -> None:
    make_reflection(session, title="Kanban square", learnt="Drivers stopped searching.")
    make_reflection(
        session, title="Shadow board", problem="Operators searched for gauges.", learnt="Faster."
    )
    make_reflection(session, title="Paint hoses", learnt="Colours help.")
    session.commit()
    assert sorted(lesson_titles(session, "search")) == ["Kanban square", "Shadow board"]
    assert lesson_titles(session, "kanban squares") == ["Kanban square"]


def test_a_word_in_the_cards_title_ranks_before_one_in_its_answers(session: Session) -> None:
    make_reflection(session, title="Label printer", learnt="The changeover notes were lost.")
    make_reflection(session, title="Faster changeover", learnt="Stage the clamps first.")
    session.commit()
    assert lesson_titles(session, "changeover") == ["Faster changeover", "Label printer"]
    assert list_lessons(session, LessonFilters(text="changeover")).best_first


def test_the_five_whys_list_finds_stemmed_words_in_any_step(session: Session) -> None:
    record = root_causes.create_root_cause(
        session, problem="Press 4 stops", why="Why does it stop?", because="The coils arrive late"
    )
    root_causes.create_root_cause(session, problem="Weld spatter", why="Why?", because="Worn tips")
    assert [r.id for r in root_causes.list_root_causes(session, text="arriving coil")] == [
        record.id
    ]


# "Tried elsewhere?"


def test_tried_elsewhere_finds_a_five_whys_by_its_stemmed_words(session: Session) -> None:
    record = root_causes.create_root_cause(
        session, problem="Forklifts queue at goods in", why="Why?", because="One dock door"
    )
    suggestions = suggest_similar(session, "Forklift queues at the dock")
    assert [s.root_cause_id for s in suggestions] == [record.id]
    assert suggestions[0].shared_words == ["forklift", "queues", "dock"]


def test_tried_elsewhere_puts_the_closer_experiment_first(session: Session) -> None:
    near = make_reflection(
        session, title="Coil delivery by milk run", learnt="The forklift waits no more for coils."
    )
    far = make_reflection(session, title="Forklift charging plan", learnt="Charge at breaks.")
    session.commit()
    suggestions = suggest_similar(session, "Forklift waits for coil delivery")
    assert [s.improvement_id for s in suggestions] == [near.improvement_id, far.improvement_id]
    assert suggestions[0].score > suggestions[1].score


def test_tried_elsewhere_leaves_out_the_card_being_edited(session: Session) -> None:
    reflection = make_reflection(session, title="Coil delivery by milk run")
    session.commit()
    assert (
        suggest_similar(session, "coil delivery", exclude_improvement_id=reflection.improvement_id)
        == []
    )


def test_tried_elsewhere_needs_a_fifth_of_the_words(session: Session) -> None:
    make_reflection(session, title="Forklift charging plan", learnt="Charge at breaks.")
    session.commit()
    # One word of six is less than a fifth; one of five is enough.
    assert suggest_similar(session, "Forklift horn broken near paint booth") == []
    assert suggest_similar(session, "Forklift horn broken near booth")[0].shared_words == [
        "forklift"
    ]


# Hostile input


HOSTILE = [
    '"',
    '"forklift',
    "forklift AND",
    "AND OR NOT",
    "*",
    "forklift*",
    "-",
    "- forklift",
    "NEAR(forklift press",
    "NEAR(forklift press, 2)",
    "((forklift)",
    ")",
    "col:forklift",
    "^forklift",
    "{description}: forklift",
    "forklift & | ! <-> :*",
    "'; DROP TABLE observation; --",
    "\u202eforklift\u200b",
    "f" * 5000,
    "forklift " * 2000,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_searches_get_an_answer_not_an_error(
    viewer_client: FlaskClient, session: Session, query: str
) -> None:
    make_observation(session, description="Forklift late again.")
    make_reflection(session, title="Forklift square")
    root_causes.create_root_cause(session, problem="Forklift queue", why="Why?", because="Dock")
    for path in ("/observations", "/observations/export.csv", "/learning", "/learning/export.csv"):
        assert viewer_client.get(path, query_string={"q": query}).status_code == 200, path
    assert viewer_client.get("/root-causes", query_string={"q": query}).status_code == 200
    similar = viewer_client.get("/learning/similar", query_string={"title": query})
    assert similar.status_code == 200


@pytest.mark.parametrize("query", ["fork\x00lift", "forklift \x07 bell", "\x1b[2J"])
def test_control_characters_in_a_search_are_refused_plainly(
    viewer_client: FlaskClient, query: str
) -> None:
    answer = viewer_client.get("/observations", query_string={"q": query})
    assert answer.status_code == 400
    assert "control characters" in answer.get_data(as_text=True)


# The index follows every change


def test_the_index_follows_an_observations_new_text_and_its_removal(session: Session) -> None:
    observation = make_observation(session, description="Forklift late again.")
    session.commit()
    observation.description = "Crane late again."
    session.commit()
    assert found(session, "forklift") == [] and found(session, "crane") == ["Crane late again."]
    session.delete(observation)
    session.commit()
    assert found(session, "crane") == []
    assert session.get(Observation, observation.id) is None


def test_the_index_follows_a_reflection_and_its_cards_title(session: Session) -> None:
    reflection = make_reflection(session, title="Kanban square", learnt="Drivers liked it.")
    session.commit()
    reflection.learnt = "Drivers asked for a second square."
    reflection.improvement.title = "Floor markings"
    session.commit()
    assert lesson_titles(session, "second") == ["Floor markings"]
    assert lesson_titles(session, "liked") == [] and lesson_titles(session, "kanban") == []
    session.delete(reflection)
    session.commit()
    assert lesson_titles(session, "second") == []


def test_the_index_follows_a_five_whys_steps_problem_and_removal(session: Session) -> None:
    record = root_causes.create_root_cause(
        session, problem="Press 4 stops", why="Why?", because="The coils arrive late"
    )
    step = root_causes.add_step(session, record, "Why late?", "Only one forklift")
    assert record_problems(session, "forklift") == ["Press 4 stops"]
    root_causes.update_step(session, record, step.id, "Why late?", "The crane is shared")
    assert record_problems(session, "forklift") == [] and record_problems(session, "crane")
    root_causes.remove_last_step(session, record)
    assert record_problems(session, "crane") == []
    root_causes.update_problem(session, record, "Press 5 stops")
    assert record_problems(session, "coils") == ["Press 5 stops"]
    session.delete(record)
    session.commit()
    assert record_problems(session, "coils") == []
