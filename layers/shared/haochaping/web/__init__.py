"""Server-rendered pages for citizens: plain HTML that works without JavaScript."""
