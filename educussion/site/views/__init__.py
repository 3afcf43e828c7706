"""The site's two blueprints: the public pages (`site`) and the editor, サイト管理 (`site_editor`)."""
from .editor import bp as editor_bp
from .public import bp as public_bp

__all__ = ["editor_bp", "public_bp"]
