"""Every form renders as labelled <div>s with its errors right by the field."""

from django.forms.renderers import TemplatesSetting


class Renderer(TemplatesSetting):
    form_template_name = "lanward/forms/div.html"
