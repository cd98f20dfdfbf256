"""F9 信用评价 and F10 会员服务 in the portal."""
