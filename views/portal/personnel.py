"""F2 人员注册申请: the application wizard and the base-information library (个人基础信息库)."""
