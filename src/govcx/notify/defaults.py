"""The platform's templates, shipped in English and Spanish: what every agency sends unless it has its own version.

Platform administrators add new versions over them; an agency's versions shadow them for that agency only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.notify import schemas, service
from govcx.notify.models import PLATFORM, MessageTemplate, Topic

_DIGEST_TEXT = {
    "en": ("Services you may need next",
           "Hello {{ given_name }},\n\nFrom the data you chose to share, these services may help you next:\n"
           "{% for r in recommendations %}- {{ r.service_name }}: {{ r.why_rule }}\n{% endfor %}\n"
           "You can stop these suggestions under Recommendations in the portal."),
    "es": ("Servicios que quizá necesite",
           "Hola {{ given_name }}:\n\nSegún los datos que decidió compartir, estos servicios pueden ayudarle:\n"
           "{% for r in recommendations %}- {{ r.service_name }}: {{ r.why_rule }}\n{% endfor %}\n"
           "Puede dejar de recibir sugerencias en Recomendaciones, en el portal."),
}
_DIGEST_HTML = {
    "en": "<p>Hello {{ given_name }},</p><p>From the data you chose to share, these services may help you next:</p>"
          "<ul>{% for r in recommendations %}<li><strong>{{ r.service_name }}</strong>: {{ r.why_rule }}</li>"
          "{% endfor %}</ul>",
    "es": "<p>Hola {{ given_name }}:</p><p>Según los datos que decidió compartir, estos servicios pueden "
          "ayudarle:</p><ul>{% for r in recommendations %}<li><strong>{{ r.service_name }}</strong>: "
          "{{ r.why_rule }}</li>{% endfor %}</ul>",
}
# Case statuses arrive in English words (the CRM's); the Spanish text says them in Spanish.
_ES_STATUS = ("{{ {'open': 'abierta', 'reopened': 'reabierta', 'in progress': 'en curso', "
              "'waiting on the person': 'a la espera de su respuesta', 'resolved': 'resuelta', "
              "'closed': 'cerrada'}.get(case_status, case_status) }}")
_SIMPLE = {
    ("case.updated", Topic.CASE_UPDATES): {
        "en": ("Your request {{ case_reference }} is now {{ case_status }}",
               "Hello {{ given_name }},\n\nYour request {{ case_reference }} to {{ agency_name }} is now "
               "{{ case_status }}.\n"),
        "es": ("Su solicitud {{ case_reference }} está ahora " + _ES_STATUS,
               "Hola {{ given_name }}:\n\nSu solicitud {{ case_reference }} a {{ agency_name }} está ahora "
               + _ES_STATUS + ".\n"),
    },
    ("survey.invitation", Topic.SURVEYS): {
        "en": ("How was {{ service_name }}?",
               "Hello {{ given_name }},\n\nYou used {{ service_name }} recently. Tell us how it went: "
               "{{ survey_url }}\n"),
        "es": ("¿Qué tal fue {{ service_name }}?",
               "Hola {{ given_name }}:\n\nUsó {{ service_name }} hace poco. Cuéntenos qué tal: {{ survey_url }}\n"),
    },
    ("proactive.offer", Topic.OFFERS): {
        "en": ("{{ service_name }}: ready for you to confirm",
               "Hello {{ given_name }},\n\n{{ agency_name }} can give you {{ service_name }}. We filled in the "
               "application from what government already knows; you only need to confirm it, or say no, by "
               "{{ expires_on }} under My life events: {{ offer_url }}\n"),
        "es": ("{{ service_name }}: listo para que lo confirme",
               "Hola {{ given_name }}:\n\n{{ agency_name }} puede concederle {{ service_name }}. Hemos rellenado "
               "la solicitud con lo que la Administración ya sabe; solo tiene que confirmarla, o rechazarla, antes "
               "del {{ expires_on }} en Mis acontecimientos vitales: {{ offer_url }}\n"),
    },
    ("reminder.renewal", Topic.REMINDERS): {
        "en": ("{{ document_name }} expires on {{ expiry_date }}",
               "Hello {{ given_name }},\n\nYour {{ document_name }} expires on {{ expiry_date }}. "
               "You can renew it online.\n"),
        "es": ("{{ document_name }} caduca el {{ expiry_date }}",
               "Hola {{ given_name }}:\n\nSu {{ document_name }} caduca el {{ expiry_date }}. "
               "Puede renovarlo en línea.\n"),
    },
}


def _texts_to_html(text: str) -> str:
    # The HTML body of a simple message is its text in paragraphs (escaped by the HTML sandbox).
    return "".join(f"<p>{line}</p>" for line in text.split("\n") if line)


def default_templates() -> list[schemas.TemplateCreate]:
    made = [schemas.TemplateCreate(key="recommendations.digest", language=lang, topic=Topic.OFFERS,
                                   subject=_DIGEST_TEXT[lang][0], text_body=_DIGEST_TEXT[lang][1],
                                   html_body=_DIGEST_HTML[lang]) for lang in ("en", "es")]
    for (key, topic), by_lang in _SIMPLE.items():
        made += [schemas.TemplateCreate(key=key, language=lang, topic=topic, subject=subject, text_body=text,
                                        html_body=_texts_to_html(text)) for lang, (subject, text) in by_lang.items()]
    return made


def install_default_templates(*, session: Session, clock: Clock) -> int:
    """Add the shipped templates the platform does not have yet; return how many were added."""
    have = {(k, lang) for k, lang in session.execute(select(MessageTemplate.key, MessageTemplate.language)
                                                     .where(MessageTemplate.owner == PLATFORM))}
    added = 0
    for data in default_templates():
        if (data.key, data.language) not in have:
            service.create_template(session=session, data=data, agency_id=None, clock=clock)
            added += 1
    return added
