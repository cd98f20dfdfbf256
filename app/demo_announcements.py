"""H5 demo announcements: every category and audience (one for the demo candidate's exam), one pinned,
one with a PDF attachment, one scheduled for next week, one withdrawn and one draft.  Idempotent (by title)."""
import datetime

from app.extensions import db
from app.services import announcements, files
from models import Announcement, Person, Registration
from models.enums import AnnouncementCategory as Category
from models.enums import AnnouncementTarget as Target

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
DEMO_PY_TITLES = ("关于2027年上半年考试报名的通知", "国庆节放假期间审核时限顺延的说明")


def _candidate_exam(users):
    """The exam the demo candidate registered for (its announcement targets that exam)."""
    return db.session.query(Registration.exam_plan_id).join(Person, Person.id == Registration.person_id).filter(
        Person.user_id == users["candidate"].id).order_by(Registration.id).limit(1).scalar()


def demo_announcements(users):
    now = datetime.datetime.now().replace(second=0, microsecond=0)
    day = datetime.timedelta(days=1)
    assoc = users["association"]
    exam_id = _candidate_exam(users)
    rows = [
        dict(title="关于2027年度认证人员考试报名工作的通知", category=Category.NOTICE, target=Target.EVERYONE,
             pinned=True, publish_at=now - 2 * day, attachment=("2027年度考试报名工作安排.pdf", PDF),
             body="<p>各有关单位、广大考生：</p><p>2027年度认证人员考试报名工作即将开始，现将有关事项通知如下：</p>"
                  "<ol><li>报名时间以各考试计划公布的时间为准；</li><li>考生须先完成<strong>实名认证</strong>；</li>"
                  "<li>报名费用在审核通过后在线缴纳。</li></ol><p>详见附件。</p>"),
        dict(title="2026年第四季度考试成绩发布安排", category=Category.EXAM_NEWS, target=Target.CANDIDATES,
             publish_at=now - 3 * day,
             body="<p>2026年第四季度考试成绩将于考后<strong>15个工作日</strong>内发布，考生可登录后在"
                  "“成绩查询”中查看。对成绩有异议的，可在复核期内申请成绩复核。</p>"),
        dict(title="《认证人员注册管理办法》修订说明", category=Category.POLICY, target=Target.EVERYONE,
             publish_at=now - 10 * day,
             body="<h3>主要修订内容</h3><table><thead><tr><th>条款</th><th>修订前</th><th>修订后</th></tr></thead>"
                  "<tbody><tr><td>第八条</td><td>每年确认一次</td><td>证书到期前90天内办理年度确认</td></tr>"
                  "<tr><td>第十二条</td><td>纸质申请</td><td>在线办理</td></tr></tbody></table>"
                  "<p>全文见<a href=\"https://www.example.org/rules\">协会网站</a>。</p>"),
        dict(title="2027年机构考务工作人员培训安排", category=Category.TRAINING, target=Target.INSTITUTIONS,
             publish_at=now - 5 * day,
             body="<p>请各机构于下月10日前报送参加考务培训的人员名单，培训内容包括考场编排、监考规范和照片采集。</p>"),
        dict(title="报名中考试考生须知", category=Category.EXAM_NEWS, target=Target.EXAM, exam_plan_id=exam_id,
             publish_at=now - day,
             body="<p>本次考试的考生请于考前一周登录门户下载准考证，并携带有效身份证件参加考试。</p>"),
        dict(title="2027年春节期间服务安排", category=Category.NOTICE, target=Target.EVERYONE,
             publish_at=now + 7 * day,
             body="<p>春节期间在线业务照常受理，审核顺延至节后第一个工作日。（定时发布：下周起显示）</p>"),
        dict(title="关于调整部分考点的通知（已撤回）", category=Category.NOTICE, target=Target.EVERYONE,
             publish_at=now - 8 * day, withdraw_at=now - 6 * day,
             body="<p>因场地原因，原定考点调整。该通知已由协会撤回。</p>"),
        dict(title="2027年度继续教育学时要求（草稿）", category=Category.TRAINING, target=Target.EVERYONE,
             publish_at=now, published=False,
             body="<p>认证人员每年须完成不少于24学时的继续教育。</p>"),
    ]
    for row in rows:
        if row["target"] == Target.EXAM and exam_id is None:
            continue
        if db.session.query(Announcement.id).filter_by(title=row["title"]).first() is not None:
            continue
        upload = row.pop("attachment", None)
        published = row.pop("published", True)
        item = Announcement(**{**row, "category": row["category"].value, "target": row["target"].value,
                               "body": announcements.sanitise(row["body"]), "published": published,
                               "published_at": row["publish_at"] if published else None})
        if upload is not None:
            filename, data = upload
            item.attachment = files.store(data, filename, "application/pdf", announcements.ATTACHMENT_KIND,
                                          user=assoc)
        db.session.add(item)
    # the announcements of app/demo.py were visible from their publication
    for item in db.session.query(Announcement).filter(Announcement.title.in_(DEMO_PY_TITLES),
                                                      Announcement.published_at.is_not(None)):
        item.publish_at = item.published_at
    db.session.commit()
