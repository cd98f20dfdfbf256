"""All models, imported so that the metadata (FAB's Model.metadata) is complete."""
from models.audit import AuditLog, Job  # noqa: F401
from models.base import Model  # noqa: F401
from models.certificates import (  # noqa: F401
    Certificate,
    CertificateEvent,
    CertificateSerialCounter,
    CreditRecord,
    Membership,
)
from models.exams import (  # noqa: F401
    CertificateType,
    ExamPlan,
    ExamSession,
    ExamSite,
    Invigilator,
    InvigilatorAssignment,
    PilotApplication,
    Room,
    SeatAssignment,
    Site,
    Subject,
    WeeklyReport,
)
from models.files import Attachment  # noqa: F401
from models.identity import Institution, Major, Person, PlatformUser, Region  # noqa: F401
from models.matters import (  # noqa: F401
    BusinessNumberCounter,
    CalendarDay,
    Matter,
    MatterHistory,
    MatterType,
    SequenceCounter,
)
from models.messaging import Announcement, Delivery, MessagePost, MessageThread, Notification  # noqa: F401
from models.payments import Invoice, Order, Payment, Refund  # noqa: F401
from models.permissions import PermissionStamp, RolePermissionOff  # noqa: F401
from models.personnel import ExperienceEntry  # noqa: F401
from models.registration import (  # noqa: F401
    Education,
    EligibilityRule,
    ExamResult,
    MaterialEntry,
    Registration,
    RegistrationSubject,
    Score,
    WorkExperience,
)
from models.reminders import ReminderSent  # noqa: F401
from models.training import (  # noqa: F401
    Course,
    CourseCategory,
    CourseTeacher,
    TeacherCategory,
    TrainingPlan,
    TrainingPlanAttendee,
    TrainingPlanCourse,
    TrainingPlanTeacher,
    TrainingRecord,
)
from models.verification import CaptchaChallenge, SmsCode, UploadToken  # noqa: F401

metadata = Model.metadata
