"""The standard survey templates: OMB Circular A-11 §280 (v2 and v1), CSAT, CES and NPS, in English and Spanish.

`{provider}` in a prompt is replaced by the survey's provider (the service or agency's name) when shown.
"""

from __future__ import annotations

from govcx.feedback.models import SurveyKind
from govcx.feedback.schemas import Driver, Measure, Option, Question, QuestionType

AGREEMENT_LABELS = {
    "en": ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"],
    "es": ["Totalmente en desacuerdo", "En desacuerdo", "Ni de acuerdo ni en desacuerdo", "De acuerdo",
           "Totalmente de acuerdo"],
}
CSAT_LABELS = {
    "en": ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
    "es": ["Muy insatisfecho", "Insatisfecho", "Neutral", "Satisfecho", "Muy satisfecho"],
}
CES_ENDS = {"en": ("Very difficult", "Very easy"), "es": ("Muy difícil", "Muy fácil")}
NPS_ENDS = {"en": ("Not at all likely", "Extremely likely"), "es": ("Nada probable", "Muy probable")}
THUMBS_LABELS = {"en": ("Thumbs down: disagree", "Thumbs up: agree"),
                 "es": ("Pulgar abajo: en desacuerdo", "Pulgar arriba: de acuerdo")}
YES_NO_LABELS = {"en": ("No", "Yes"), "es": ("No", "Sí")}

TRUST = {"en": "This interaction increased my trust in {provider}.",
         "es": "Esta interacción aumentó mi confianza en {provider}."}

DRIVER_LABELS: dict[Driver, dict[str, str]] = {
    Driver.EFFECTIVENESS: {"en": "Effectiveness: my need was addressed", "es": "Eficacia: se atendió mi necesidad"},
    Driver.EASE: {"en": "Ease: it was easy to do", "es": "Facilidad: fue fácil de hacer"},
    Driver.EFFICIENCY: {"en": "Efficiency: it took a reasonable amount of time",
                        "es": "Eficiencia: tomó un tiempo razonable"},
    Driver.TRANSPARENCY: {"en": "Transparency: the process and what to expect were clear",
                          "es": "Transparencia: el proceso y qué esperar estaban claros"},
    Driver.HUMANITY: {"en": "Humanity: I was treated with respect and empathy",
                      "es": "Humanidad: me trataron con respeto y empatía"},
    Driver.EMPLOYEE: {"en": "Employee: the staff were helpful", "es": "Personal: el personal fue servicial"},
    Driver.OTHER: {"en": "Other", "es": "Otro"},
}
V2_DRIVERS = [d for d in Driver if d is not Driver.EQUITY]

COMMENT = Question(key="comments", type=QuestionType.TEXT, measure=Measure.COMMENT, prompt={
    "en": "Is there anything else you would like to tell us?", "es": "¿Hay algo más que quiera decirnos?"})


def _drivers(key: str, measure: Measure, en: str, es: str) -> Question:
    return Question(key=key, type=QuestionType.MULTI, measure=measure, prompt={"en": en, "es": es},
                    options=[Option(key=d.value, label=DRIVER_LABELS[d]) for d in V2_DRIVERS])


def a11_v2(*, thumbs: bool) -> list[Question]:
    """Trust first, then what went well and what did not (the drivers), then open comments."""
    return [
        Question(key="trust", type=QuestionType.THUMBS if thumbs else QuestionType.AGREEMENT, measure=Measure.TRUST,
                 prompt=TRUST, required=True),
        _drivers("went_well", Measure.WENT_WELL, "What went well?", "¿Qué salió bien?"),
        _drivers("went_badly", Measure.WENT_BADLY, "What didn't go so well?", "¿Qué no salió tan bien?"),
        COMMENT,
    ]


def _agree(key: str, measure: Measure, en: str, es: str) -> Question:
    return Question(key=key, type=QuestionType.AGREEMENT, measure=measure, prompt={"en": en, "es": es})


def a11_v1() -> list[Question]:
    """The v1 items: 5-point agreement on satisfaction, trust and the drivers, then free text."""
    return [
        _agree("satisfaction", Measure.SATISFACTION, "I am satisfied with the service I received from {provider}.",
               "Estoy satisfecho con el servicio que recibí de {provider}."),
        Question(key="trust", type=QuestionType.AGREEMENT, measure=Measure.TRUST, prompt=TRUST),
        _agree("effectiveness", Measure.EFFECTIVENESS, "My need was addressed.", "Se atendió mi necesidad."),
        _agree("ease", Measure.EASE, "It was easy to complete what I needed to do.",
               "Fue fácil completar lo que necesitaba hacer."),
        _agree("efficiency", Measure.EFFICIENCY, "It took a reasonable amount of time to do what I needed to do.",
               "Tomó un tiempo razonable hacer lo que necesitaba hacer."),
        _agree("equity", Measure.EQUITY, "I was treated fairly.", "Me trataron de manera justa."),
        _agree("employee", Measure.EMPLOYEE, "Employees I interacted with were helpful.",
               "Los empleados con los que interactué fueron serviciales."),
        COMMENT,
    ]


def csat() -> list[Question]:
    return [Question(key="satisfaction", type=QuestionType.CSAT, measure=Measure.SATISFACTION, required=True,
                     prompt={"en": "Overall, how satisfied are you with {provider}?",
                             "es": "En general, ¿qué tan satisfecho está con {provider}?"}), COMMENT]


def ces() -> list[Question]:
    return [Question(key="effort", type=QuestionType.CES, measure=Measure.CES, required=True,
                     prompt={"en": "{provider} made it easy for me to handle my request.",
                             "es": "{provider} me facilitó gestionar mi solicitud."}), COMMENT]


def nps() -> list[Question]:
    return [Question(key="recommend", type=QuestionType.NPS, measure=Measure.NPS, required=True,
                     prompt={"en": "How likely are you to recommend {provider} to a friend?",
                             "es": "¿Qué tan probable es que recomiende {provider} a un amigo?"}), COMMENT]


TITLES = {
    SurveyKind.A11_V2: {"en": "Tell us about your experience", "es": "Cuéntenos sobre su experiencia"},
    SurveyKind.A11_V1: {"en": "Tell us about your experience", "es": "Cuéntenos sobre su experiencia"},
    SurveyKind.CSAT: {"en": "How did we do?", "es": "¿Cómo lo hicimos?"},
    SurveyKind.CES: {"en": "How easy was it?", "es": "¿Qué tan fácil fue?"},
    SurveyKind.NPS: {"en": "Would you recommend us?", "es": "¿Nos recomendaría?"},
    SurveyKind.CUSTOM: {"en": "Give feedback", "es": "Denos su opinión"},
}


def questions_for(kind: SurveyKind, *, thumbs: bool = False) -> list[Question]:
    """Return the template's questions for `kind` (none for a custom survey)."""
    return {
        SurveyKind.A11_V2: lambda: a11_v2(thumbs=thumbs), SurveyKind.A11_V1: a11_v1, SurveyKind.CSAT: csat,
        SurveyKind.CES: ces, SurveyKind.NPS: nps, SurveyKind.CUSTOM: list,
    }[kind]()


def scale_labels(question: Question, language: str) -> list[tuple[int, str]]:
    """The choices of a scale question as (value, label), lowest first."""
    t = question.type
    if t is QuestionType.AGREEMENT:
        return list(enumerate(AGREEMENT_LABELS[language], start=1))
    if t is QuestionType.CSAT:
        return list(enumerate(CSAT_LABELS[language], start=1))
    if t is QuestionType.THUMBS:
        return list(enumerate(THUMBS_LABELS[language]))
    if t is QuestionType.YES_NO:
        return list(enumerate(YES_NO_LABELS[language]))
    low, high = {QuestionType.CES: (1, 7), QuestionType.NPS: (0, 10)}[t]
    ends = (CES_ENDS if t is QuestionType.CES else NPS_ENDS)[language]
    return [(v, f"{v} ({ends[0]})" if v == low else f"{v} ({ends[1]})" if v == high else str(v))
            for v in range(low, high + 1)]
