"""Every form renders as labelled <div>s with its errors right by the field (Django's div template)."""

from django.forms.renderers import TemplatesSetting


class Renderer(TemplatesSetting):
    form_template_name = "lanward/forms/div.html"
