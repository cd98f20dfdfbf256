"""Enumerations stored as stable codes and displayed translated.

The code (first element) goes into the database and the API; the label is a
lazy translation shown to people.  Terms follow the seed manuals.
"""
import enum

from flask_babel import lazy_gettext as _l


class CodeEnum(str, enum.Enum):
    def __new__(cls, code, label):
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.label = label
        return obj

    @classmethod
    def choices(cls):
        return [(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, code):
        try:
            return cls(code).label
        except ValueError:
            return code or ""


class Gender(CodeEnum):
    MALE = "male", _l("Male")
    FEMALE = "female", _l("Female")


class IdType(CodeEnum):
    RESIDENT = "resident", _l("Resident ID card")
    PASSPORT = "passport", _l("Passport")
    HK_MACAO = "hk_macao", _l("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN = "taiwan", _l("Mainland travel permit for Taiwan residents")
    OFFICER = "officer", _l("Military officer card")


class InstitutionKind(CodeEnum):
    COLLEGE = "college", _l("College")
    TRAINING = "training", _l("Training body")
    EMPLOYER = "employer", _l("Employer")
    CERT_BODY = "cert_body", _l("Certification body")


class ReviewStatus(CodeEnum):
    """Generic status of an application reviewed by the association (D1, D3, A10)."""
    NOT_SUBMITTED = "not_submitted", _l("Not submitted")
    REVIEWING = "reviewing", _l("Under review")
    APPROVED = "approved", _l("Approved")
    RETURNED = "returned", _l("Returned")


class CandidateSource(CodeEnum):
    SELF = "self", _l("Self-registered")
    SCHOOL = "school", _l("Own students")
    SOCIAL = "social", _l("Social candidates")


class VerifyState(CodeEnum):
    """D6: verification of a candidate's information."""
    NO_PHOTO = "no_photo", _l("No photo")
    PENDING = "pending", _l("Information to be verified")
    MANUAL = "manual", _l("Manual confirmation needed")
    ACCURATE = "accurate", _l("Information accurate")


class MajorLevel(CodeEnum):
    SECONDARY = "secondary", _l("Secondary vocational")
    HIGHER = "higher", _l("Higher vocational")
    UNDERGRADUATE = "undergraduate", _l("Undergraduate")
    POSTGRADUATE = "postgraduate", _l("Postgraduate")


class CertLevel(CodeEnum):
    JUNIOR = "junior", _l("Junior")
    INTERMEDIATE = "intermediate", _l("Intermediate")
    SENIOR = "senior", _l("Senior")


class ExamCategory(CodeEnum):
    NATIONAL = "national", _l("National exam")
    VOCATIONAL = "vocational", _l("Vocational skill exam")
    PERSONNEL = "personnel", _l("Certification personnel exam")


class ExamStatus(CodeEnum):
    """B1: computed from the registration window and the exam time."""
    NOT_STARTED = "not_started", _l("Not started")
    OPEN = "open", _l("Registration open")
    CLOSED = "closed", _l("Registration closed")
    FINISHED = "finished", _l("Finished")


class Reviewer(CodeEnum):
    ASSOCIATION = "association", _l("Association")
    INSTITUTION = "institution", _l("Site institution")


class RegistrationCategory(CodeEnum):
    """B5"""
    FIRST = "first", _l("First certification exam")
    RENEW_NO_EXAM = "renew_no_exam", _l("Renewal without exam")
    RENEW_EXAM = "renew_exam", _l("Renewal by exam")
    RENEW_REVIEW = "renew_review", _l("Renewal by review")
    MAKEUP_FIRST = "makeup_first", _l("Make-up exam for certification")
    MAKEUP_RENEW = "makeup_renew", _l("Make-up exam for renewal")


class RegistrationStatus(CodeEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")
    REVIEWING = "reviewing", _l("Under review")
    RETURNED = "returned", _l("Returned for correction")
    APPROVED = "approved", _l("Approved, awaiting payment")
    REGISTERED = "registered", _l("Registration successful")
    REFUSED = "refused", _l("Not approved")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    GIVEN_UP = "given_up", _l("Given up")


class SectionCode(CodeEnum):
    """B4: application material sections."""
    BASIC = "basic", _l("Basic information")
    EDUCATION = "education", _l("Education and degree")
    NON_DEGREE = "non_degree", _l("Non-degree education")
    WORK = "work", _l("Work résumé")
    ADVANCED_STUDY = "advanced_study", _l("Domestic and foreign advanced study")
    SUPERVISION = "supervision", _l("Supervision of graduate students")
    PRACTICAL = "practical", _l("Practical-ability exam scores")
    LANGUAGE = "language", _l("Foreign-language exams")
    CONTINUING = "continuing", _l("Continuing education")


class EducationLevel(CodeEnum):
    """B13: ordered from lowest to highest (eligibility rules compare ranks)."""
    SECONDARY = "secondary", _l("Secondary school or below")
    JUNIOR_COLLEGE = "junior_college", _l("Junior college")
    BACHELOR = "bachelor", _l("Bachelor")
    MASTER = "master", _l("Master")
    DOCTOR = "doctor", _l("Doctor")

    @property
    def rank(self):
        return list(type(self)).index(self)


class RoomStatus(CodeEnum):
    UNSCHEDULED = "unscheduled", _l("Not scheduled")
    SCHEDULING = "scheduling", _l("Scheduling")
    FINISHED = "finished", _l("Finished")


class InvigilatorDuty(CodeEnum):
    INVIGILATE = "invigilate", _l("Invigilator")
    PATROL = "patrol", _l("Patrol")


class PayerType(CodeEnum):
    PERSON = "person", _l("Individual")
    INSTITUTION = "institution", _l("Institution")


class OrderStatus(CodeEnum):
    UNPAID = "unpaid", _l("Unpaid")
    PAID = "paid", _l("Paid")
    EXPIRED = "expired", _l("Expired")
    REFUNDING = "refunding", _l("Refund requested")
    REFUNDED = "refunded", _l("Refunded")
    CLOSED = "closed", _l("Closed")


class PaymentMethod(CodeEnum):
    ONLINE = "online", _l("Online payment")
    OFFLINE = "offline", _l("Offline transfer")


class PaymentStatus(CodeEnum):
    PENDING = "pending", _l("Pending confirmation")
    CONFIRMED = "confirmed", _l("Confirmed")
    REJECTED = "rejected", _l("Rejected")


class RequestStatus(CodeEnum):
    """Invoices, refunds, weekly reports: a simple request handled by staff."""
    REQUESTED = "requested", _l("Requested")
    DONE = "done", _l("Done")
    REFUSED = "refused", _l("Refused")


class CertificateStatus(CodeEnum):
    VALID = "valid", _l("Valid")
    EXPIRED = "expired", _l("Expired")
    REVOKED = "revoked", _l("Cancelled")
    REPLACED = "replaced", _l("Replaced")


class CertificateSource(CodeEnum):
    ISSUED = "issued", _l("Issued on the platform")
    IMPORTED = "imported", _l("Imported (issued before the platform)")


class MatterCategory(CodeEnum):
    """Matter-type catalogue categories [002]."""
    CERT_PERSONNEL = "cert_personnel", _l("Certification personnel")
    MEMBER = "member", _l("Member services")
    INSPECTION = "inspection", _l("Inspection and testing personnel")
    EXAM = "exam", _l("Examinations")
    INSTITUTION = "institution", _l("Institution affairs")
    TRAINING = "training", _l("Training")


class MatterStatus(CodeEnum):
    DRAFT = "draft", _l("Drafts")
    IN_PROGRESS = "in_progress", _l("In progress")
    COMPLETED = "completed", _l("Completed")


class MessageCategory(CodeEnum):
    """H1"""
    SCORE = "score", _l("Exam scores")
    REGISTRATION = "registration", _l("Registration")
    PAYMENT = "payment", _l("Payment")
    CERTIFICATE = "certificate", _l("Certificates")
    OTHER = "other", _l("Other")


class ThreadStatus(CodeEnum):
    PENDING = "pending", _l("Awaiting reply")
    REPLIED = "replied", _l("Replied")
    RESOLVED = "resolved", _l("Resolved")  # H2: support closed it; the author's follow-up reopens it


class Channel(CodeEnum):
    EMAIL = "email", _l("E-mail")
    SMS = "sms", _l("SMS")


class DeliveryStatus(CodeEnum):
    QUEUED = "queued", _l("Queued")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Failed")


class JobStatus(CodeEnum):
    QUEUED = "queued", _l("Queued")
    RUNNING = "running", _l("Running")
    DONE = "done", _l("Done")
    FAILED = "failed", _l("Failed")


class TeacherConfirm(CodeEnum):
    """G2, G3, G4: a named teacher's answer; a filed course's teacher may later unbind (解除备案)."""
    PENDING = "pending", _l("Awaiting confirmation")
    AGREED = "agreed", _l("Agreed")
    DISAGREED = "disagreed", _l("Disagreed")
    UNBINDING = "unbinding", _l("Unbinding under review")
    UNBOUND = "unbound", _l("Unbound")


class PlanStatus(CodeEnum):
    """G4: a training plan from its draft to its end (the matter carries the review)."""
    DRAFT = "draft", _l("Not reported")
    CONFIRMING = "confirming", _l("Awaiting teachers' confirmation")
    REVIEWING = "reviewing", _l("Under review")
    RETURNED = "returned", _l("Returned")
    APPROVED = "approved", _l("Approved")
    FINISHED = "finished", _l("Finished")
    TERMINATED = "terminated", _l("Terminated")
    REFUSED = "refused", _l("Not approved")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


class CourseDelivery(CodeEnum):
    """G2, G5: a classroom course, or an online course (reviewed by experts: file and video)."""
    CLASSROOM = "classroom", _l("Classroom course")
    ONLINE = "online", _l("Online course")


class CourseStatus(CodeEnum):
    """G2: a course from its draft to its filing (备案) and the end of its validity."""
    NOT_SUBMITTED = "not_submitted", _l("Not submitted")
    CONFIRMING = "confirming", _l("Awaiting teachers' confirmation")
    REVIEWING = "reviewing", _l("Under review")
    RETURNED = "returned", _l("Returned")
    FILED = "filed", _l("Filed")
    REFUSED = "refused", _l("Not approved")


class MembershipKind(CodeEnum):
    PERSON = "person", _l("Individual member")
    INSTITUTION = "institution", _l("Institutional member")


class CreditKind(CodeEnum):
    COMPLAINT = "complaint", _l("Upheld complaint")
    SANCTION = "sanction", _l("Sanction")
    ANNUAL = "annual", _l("Annual confirmation")
    CPD = "cpd", _l("Continuing education")


class AuditAction(CodeEnum):
    LOGIN = "login", _l("Login")
    LOGIN_FAILED = "login_failed", _l("Failed login")
    LOGOUT = "logout", _l("Logout")
    CREATE = "create", _l("Create")
    UPDATE = "update", _l("Update")
    DELETE = "delete", _l("Delete")
    TRANSITION = "transition", _l("Transition")
    VIEW_ID_NUMBER = "view_id_number", _l("Viewed full ID number")
    DOWNLOAD = "download", _l("Downloaded a file")


class ExperienceKind(CodeEnum):
    """F2: the five experience tables of 个人信息填报 (seed 002)."""
    EDUCATION = "education", _l("Education")
    WORK = "work", _l("Work experience")
    PROFESSIONAL = "professional", _l("Professional work experience")
    AUDIT = "audit", _l("Audit experience")
    CPD = "cpd", _l("Continuing education")


class Conformity(CodeEnum):
    """F3: the expert's judgement of one experience row."""
    CONFORMING = "conforming", _l("Conforming")
    NONCONFORMING = "nonconforming", _l("Nonconforming")


class AnnouncementCategory(CodeEnum):
    """H5: the kinds of announcement (公告) the association publishes."""
    NOTICE = "notice", _l("Notices")
    EXAM_NEWS = "exam_news", _l("Exam news")
    POLICY = "policy", _l("Policies and regulations")
    TRAINING = "training", _l("Training information")


class AnnouncementTarget(CodeEnum):
    """H5: who sees an announcement."""
    EVERYONE = "everyone", _l("Everyone")
    CANDIDATES = "candidates", _l("Candidates")
    INSTITUTIONS = "institutions", _l("Institutions")
    EXAM = "exam", _l("Candidates and institutions of one exam")
