use chrono::TimeZone;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

fn category_id() -> TicketCategoryId {
    TicketCategoryId::from_uuid(Uuid::from_u128(0xC1))
}

fn create_billing() -> CategoryCommand {
    CategoryCommand::CreateCategory {
        category_id: category_id(),
        name: " Billing ".to_owned(),
        department: None,
    }
}

fn billing_created() -> CategoryEvent {
    CategoryEvent::TicketCategoryCreated {
        category_id: category_id(),
        name: "Billing".to_owned(),
        department_id: None,
    }
}

#[test]
fn a_category_is_created_once() {
    TestFramework::<TicketCategory>::with(())
        .given_no_previous_events()
        .when(create_billing())
        .then_expect_events(vec![billing_created()]);
    TestFramework::<TicketCategory>::with(())
        .given(vec![billing_created()])
        .when(create_billing())
        .then_expect_events(vec![]);
}

#[test]
fn a_category_cannot_route_to_a_department_that_takes_no_tickets() {
    TestFramework::<TicketCategory>::with(())
        .given_no_previous_events()
        .when(CategoryCommand::CreateCategory {
            category_id: category_id(),
            name: "Abuse".to_owned(),
            department: Some((DepartmentId::from_uuid(Uuid::from_u128(9)), false)),
        })
        .then_expect_error(DeskError::DepartmentTakesNoTickets);
}

#[test]
fn an_answer_template_with_a_blank_text_is_refused() {
    TestFramework::<AnswerTemplate>::with(())
        .given_no_previous_events()
        .when(AnswerTemplateCommand::SetAnswerTemplate {
            template_id: AnswerTemplateId::from_uuid(Uuid::from_u128(1)),
            name: "Greeting".to_owned(),
            body: "   ".to_owned(),
        })
        .then_expect_error(DeskError::InvalidText);
}

#[test]
fn an_announcement_must_end_after_it_starts() {
    let at = |h| Utc.with_ymd_and_hms(2027, 1, 1, h, 0, 0).single().unwrap();
    TestFramework::<Announcement>::with(())
        .given_no_previous_events()
        .when(AnnouncementCommand::PublishAnnouncement {
            announcement_id: AnnouncementId::from_uuid(Uuid::from_u128(1)),
            provider_id: ProviderId::from_uuid(Uuid::from_u128(2)),
            title: "Maintenance".to_owned(),
            body: "Tonight".to_owned(),
            language: None,
            valid_from: at(10),
            valid_until: at(10),
        })
        .then_expect_error(DeskError::InvalidPeriod);
}
