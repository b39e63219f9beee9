"""Accounts: signing up as a student, resetting a forgotten password by e-mail, and the
navigation that leads there, in English and Spanish."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from playground.courses import services
from playground.courses.models import Membership

pytestmark = pytest.mark.django_db
User = get_user_model()
GOOD_PASSWORD = "kettle-orbit-42-lantern"


def signup(client, **fields):
    data = {
        "username": "nina",
        "email": "nina@example.org",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "join_code": "",
    } | fields
    return client.post("/signup/", data)


def test_a_visitor_signs_up_as_a_student_and_is_signed_in(client):
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/labs/"
    nina = User.objects.get(username="nina")
    assert nina.email == "nina@example.org"
    assert (nina.is_staff, nina.is_superuser) == (False, False)
    assert nina.check_password(GOOD_PASSWORD)
    assert client.get("/labs/").status_code == 200  # the session is signed in


def test_a_join_code_at_sign_up_puts_the_student_in_the_class(client):
    carol = User.objects.create_user("carol", password="pw-carol")
    course = services.create_course(carol, "Kubernetes 101")
    response = signup(client, join_code=course.join_code.lower())
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="nina")
    assert (membership.course, membership.role) == (course, Membership.STUDENT)
    page = client.get("/labs/").content.decode()
    assert "You joined Kubernetes 101." in page


@pytest.mark.parametrize(
    ("password", "message"),
    [
        pytest.param("k8s-1", "This password is too short.", id="too-short"),
        pytest.param("password123", "This password is too common.", id="common"),
        pytest.param("81726354918273", "This password is entirely numeric.", id="num"),
        pytest.param("ninaexample", "too similar to the email", id="similar"),
    ],
)
def test_sign_up_holds_the_password_to_djangos_validators(client, password, message):
    response = signup(client, password1=password, password2=password)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username="nina").exists()


def test_sign_up_refuses_mismatched_passwords(client):
    response = signup(client, password2=GOOD_PASSWORD + "x")
    assert response.status_code == 400
    assert "The two password fields" in response.content.decode()


def test_sign_up_refuses_an_e_mail_address_already_in_use(client):
    User.objects.create_user("nina2", email="Nina@Example.org", password="pw")
    response = signup(client)
    assert response.status_code == 400
    assert "An account with this e-mail address already exists." in (
        response.content.decode()
    )
    assert not User.objects.filter(username="nina").exists()


def test_sign_up_refuses_a_taken_username(client):
    User.objects.create_user("nina", password="pw")
    response = signup(client, email="other@example.org")
    assert response.status_code == 400
    assert "A user with that username already exists." in response.content.decode()


def test_sign_up_refuses_an_unknown_or_ended_join_code(client):
    carol = User.objects.create_user("carol", password="pw-carol")
    ended = services.create_course(
        carol, "Last term", ends_at=timezone.now() - timezone.timedelta(days=1)
    )
    response = signup(client, join_code="NOSUCHCODE")
    assert response.status_code == 400
    assert "No class has this join code." in response.content.decode()
    response = signup(client, join_code=ended.join_code)
    assert response.status_code == 400
    assert "This class has ended" in response.content.decode()
    assert not User.objects.filter(username="nina").exists()


def test_a_signed_in_user_is_sent_on_from_the_sign_up_page(client):
    client.force_login(User.objects.create_user("nina", password="pw"))
    assert client.get("/signup/")["Location"] == "/labs/"


def _reset_link(message) -> str:
    match = re.search(r"http://testserver(/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_forgotten_password_is_reset_through_an_e_mailed_link(client, mailoutbox):
    User.objects.create_user("nina", email="nina@example.org", password="old-pw-1")
    response = client.post("/password-reset/", {"email": "NINA@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["nina@example.org"]
    assert "Reset your kubelab password" in message.subject
    assert "Hello nina," in message.body

    form = client.get(_reset_link(message), follow=True)
    assert form.status_code == 200
    assert b"Choose a new password" in form.content
    new = "sunlit-harbor-77-quiet"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done["Location"] == "/reset/done/"
    assert User.objects.get(username="nina").check_password(new)
    # The link works once.
    again = client.get(_reset_link(message), follow=True)
    assert b"This link is invalid" in again.content


def test_a_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(
    client, mailoutbox
):
    response = client.post("/password-reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/password-reset/sent/"
    assert mailoutbox == []


def test_a_new_password_must_pass_the_validators_too(client, mailoutbox):
    User.objects.create_user("nina", email="nina@example.org", password="old-pw-1")
    client.post("/password-reset/", {"email": "nina@example.org"})
    form = client.get(_reset_link(mailoutbox[0]), follow=True)
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert User.objects.get(username="nina").check_password("old-pw-1")


def test_the_sign_in_page_leads_to_sign_up_and_password_reset(client):
    page = client.get("/login/").content.decode()
    assert 'href="/signup/"' in page
    assert 'href="/password-reset/"' in page
    assert 'action="/logout/"' not in page


def test_signed_in_pages_link_to_labs_classes_and_sign_out(client):
    client.force_login(User.objects.create_user("nina", password="pw"))
    page = client.get("/labs/").content.decode()
    for link in ('href="/clusters/"', 'href="/labs/" aria-current="page"'):
        assert link in page
    assert 'href="/courses/join/"' in page
    assert 'action="/logout/"' in page
    assert 'href="/signup/"' not in page


@pytest.mark.parametrize(
    ("url", "spanish"),
    [
        ("/signup/", "Crear mi cuenta"),
        ("/login/", "¿Olvidaste tu contraseña?"),
        ("/password-reset/", "Restablecer tu contraseña"),
        ("/password-reset/sent/", "Revisa tu correo"),
        ("/reset/done/", "Contraseña cambiada"),
    ],
)
def test_the_account_pages_speak_spanish(client, url, spanish):
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert spanish in page


def test_the_reset_e_mail_speaks_the_language_of_the_request(client, mailoutbox):
    User.objects.create_user("nina", email="nina@example.org", password="old-pw-1")
    client.post(
        "/password-reset/", {"email": "nina@example.org"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "Hola nina," in mailoutbox[0].body
    assert "Restablece tu contraseña de kubelab" in mailoutbox[0].subject
