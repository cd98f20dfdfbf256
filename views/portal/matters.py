"""F4–F8: transfer, appeal, complaint and expert application forms, and 我的事项 detail pages."""
