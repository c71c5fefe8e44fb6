use chrono::TimeZone;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::ids::ProviderId;

type TicketTester = TestFramework<Ticket>;

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    // November 2027: the 1st is a Monday.
    Utc.with_ymd_and_hms(2027, 11, day, hour, minute, 0)
        .single()
        .unwrap()
}

fn ticket_id() -> TicketId {
    TicketId::from_uuid(Uuid::from_u128(0x71))
}

fn client_id() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x20))
}

fn support() -> DepartmentId {
    DepartmentId::from_uuid(Uuid::from_u128(0xD1))
}

fn message(n: u128, side: Side) -> NewMessage {
    NewMessage {
        message_id: TicketMessageId::from_uuid(Uuid::from_u128(n)),
        author: author(side),
        body: " My server does not boot.\r\nPlease help. ".to_owned(),
        attachments: vec![],
        client_attachment_bytes: 0,
    }
}

fn author(side: Side) -> Author {
    Author {
        side,
        actor: match side {
            Side::Client => "user:1".to_owned(),
            Side::Staff => "staff:2".to_owned(),
        },
    }
}

fn open_command(side: Side) -> TicketCommand {
    TicketCommand::OpenTicket {
        ticket_id: ticket_id(),
        client_id: client_id(),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(0x10)),
        department: TicketDepartment {
            department_id: support(),
            accepts_tickets: true,
        },
        category: None,
        subject: Subject::parse("Server down").unwrap(),
        message: message(1, side),
        at: at(5, 16, 30),
    }
}

fn opened() -> TicketEvent {
    TicketEvent::TicketOpened {
        ticket_id: ticket_id(),
        client_id: client_id(),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(0x10)),
        department_id: support(),
        category_id: None,
        subject: Subject::parse("Server down").unwrap(),
        message_id: TicketMessageId::from_uuid(Uuid::from_u128(1)),
        author: author(Side::Client),
        body: "My server does not boot.\nPlease help.".to_owned(),
        attachments: vec![],
        at: at(5, 16, 30),
        status: TicketStatus::Open,
        awaiting_since: Some(at(5, 16, 30)),
    }
}

fn weekdays_nine_to_five() -> BusinessHours {
    BusinessHours {
        time_zone: "UTC".parse().unwrap(),
        days: [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .map(|day| DayHours {
            day,
            open: "09:00".parse().unwrap(),
            close: "17:00".parse().unwrap(),
        })
        .collect(),
    }
    .checked()
    .unwrap()
}

fn closed() -> TicketEvent {
    TicketEvent::TicketClosed {
        by: author(Side::Staff),
        at: at(9, 10, 0),
    }
}

#[test]
fn a_client_opens_a_ticket_and_waits_for_an_answer() {
    TicketTester::with(())
        .given_no_previous_events()
        .when(open_command(Side::Client))
        .then_expect_events(vec![opened()]);
}

#[test]
fn a_ticket_to_a_department_that_takes_no_tickets_is_refused() {
    let mut command = open_command(Side::Client);
    if let TicketCommand::OpenTicket { department, .. } = &mut command {
        department.accepts_tickets = false;
    }
    TicketTester::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(TicketError::DepartmentTakesNoTickets);
}

#[test]
fn an_attachment_over_the_limit_is_refused() {
    let mut command = open_command(Side::Client);
    if let TicketCommand::OpenTicket { message, .. } = &mut command {
        message.attachments.push(Attachment {
            sha256: "a".repeat(64),
            file_name: "dump.txt".to_owned(),
            content_type: AttachmentType::PlainText,
            size_bytes: ATTACHMENT_BYTES_MAX + 1,
        });
    }
    TicketTester::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(TicketError::AttachmentTooLarge {
            name: "dump.txt".to_owned(),
            size_bytes: ATTACHMENT_BYTES_MAX + 1,
            limit_bytes: ATTACHMENT_BYTES_MAX,
        });
}

#[test]
fn a_blank_message_is_refused() {
    let mut command = open_command(Side::Client);
    if let TicketCommand::OpenTicket { message, .. } = &mut command {
        message.body = " \n ".to_owned();
    }
    TicketTester::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(TicketError::InvalidBody);
}

#[test]
fn the_first_staff_answer_records_the_response_time_within_business_hours() {
    // Asked on Friday at 16:30, answered on Monday at 09:30: one hour of business time.
    TicketTester::with(())
        .given(vec![opened()])
        .when(TicketCommand::Reply {
            message: message(2, Side::Staff),
            hours: Some(weekdays_nine_to_five()),
            at: at(8, 9, 30),
        })
        .then_expect_events(vec![TicketEvent::TicketReplied {
            message_id: TicketMessageId::from_uuid(Uuid::from_u128(2)),
            author: author(Side::Staff),
            body: "My server does not boot.\nPlease help.".to_owned(),
            attachments: vec![],
            at: at(8, 9, 30),
            response_seconds: Some(3600),
            status: TicketStatus::Answered,
            awaiting_since: None,
        }]);
}

#[test]
fn a_second_staff_message_records_no_response_time() {
    let answered = TicketEvent::TicketReplied {
        message_id: TicketMessageId::from_uuid(Uuid::from_u128(2)),
        author: author(Side::Staff),
        body: "Looking".to_owned(),
        attachments: vec![],
        at: at(8, 9, 30),
        response_seconds: Some(3600),
        status: TicketStatus::Answered,
        awaiting_since: None,
    };
    let mut ticket = Ticket::default();
    ticket.apply(opened());
    ticket.apply(answered);
    let decided = ticket
        .decide(TicketCommand::Reply {
            message: message(3, Side::Staff),
            hours: None,
            at: at(8, 10, 0),
        })
        .unwrap();
    assert!(matches!(
        decided.as_slice(),
        [TicketEvent::TicketReplied {
            response_seconds: None,
            status: TicketStatus::Answered,
            ..
        }]
    ));
}

#[test]
fn a_client_writing_again_keeps_waiting_since_its_first_message() {
    let mut ticket = Ticket::default();
    ticket.apply(opened());
    let decided = ticket
        .decide(TicketCommand::Reply {
            message: message(2, Side::Client),
            hours: None,
            at: at(6, 8, 0),
        })
        .unwrap();
    assert!(matches!(
        decided.as_slice(),
        [TicketEvent::TicketReplied { awaiting_since: Some(since), status: TicketStatus::Open, .. }]
            if *since == at(5, 16, 30)
    ));
}

#[test]
fn a_closed_ticket_takes_no_message_until_reopened() {
    TicketTester::with(())
        .given(vec![opened(), closed()])
        .when(TicketCommand::Reply {
            message: message(2, Side::Client),
            hours: None,
            at: at(9, 11, 0),
        })
        .then_expect_error(TicketError::Closed);
    TicketTester::with(())
        .given(vec![opened(), closed()])
        .when(TicketCommand::ReopenTicket {
            by: author(Side::Client),
            at: at(9, 11, 0),
        })
        .then_expect_events(vec![TicketEvent::TicketReopened {
            by: author(Side::Client),
            at: at(9, 11, 0),
            status: TicketStatus::Open,
            awaiting_since: Some(at(9, 11, 0)),
        }]);
}

#[test]
fn closing_a_closed_ticket_changes_nothing() {
    TicketTester::with(())
        .given(vec![opened(), closed()])
        .when(TicketCommand::CloseTicket {
            by: author(Side::Client),
            at: at(9, 12, 0),
        })
        .then_expect_events(vec![]);
}

#[test]
fn assigning_to_the_same_department_and_person_changes_nothing() {
    TicketTester::with(())
        .given(vec![opened()])
        .when(TicketCommand::AssignTicket {
            department: TicketDepartment {
                department_id: support(),
                accepts_tickets: true,
            },
            staff_id: None,
            by: author(Side::Staff),
            at: at(6, 9, 0),
        })
        .then_expect_events(vec![]);
}

#[test]
fn business_time_counts_only_open_hours() {
    let hours = weekdays_nine_to_five();
    // Inside one day.
    assert_eq!(hours.seconds_between(at(1, 10, 0), at(1, 11, 0)), 3600);
    // Before opening to after closing: the whole day, 8 hours.
    assert_eq!(hours.seconds_between(at(1, 6, 0), at(1, 20, 0)), 8 * 3600);
    // A weekend counts nothing.
    assert_eq!(hours.seconds_between(at(6, 9, 0), at(7, 18, 0)), 0);
    // Backwards is zero.
    assert_eq!(hours.seconds_between(at(2, 10, 0), at(1, 10, 0)), 0);
}

#[test]
fn business_hours_follow_the_local_clock_of_their_time_zone() {
    // 09:00 to 17:00 in Berlin is 08:00 to 16:00 UTC in winter.
    let hours = BusinessHours {
        time_zone: "Europe/Berlin".parse().unwrap(),
        ..weekdays_nine_to_five()
    };
    assert_eq!(hours.seconds_between(at(1, 7, 0), at(1, 9, 0)), 3600);
    assert_eq!(hours.seconds_between(at(1, 15, 30), at(1, 17, 0)), 1800);
}

#[test]
fn hours_that_close_before_they_open_or_repeat_a_day_are_refused() {
    let backwards = BusinessHours {
        time_zone: Zone::UTC,
        days: vec![DayHours {
            day: Weekday::Mon,
            open: "17:00".parse().unwrap(),
            close: "09:00".parse().unwrap(),
        }],
    };
    assert!(matches!(
        backwards.checked(),
        Err(TicketError::InvalidBusinessHours(_))
    ));
    let twice = BusinessHours {
        time_zone: Zone::UTC,
        days: vec![
            DayHours {
                day: Weekday::Mon,
                open: "09:00".parse().unwrap(),
                close: "12:00".parse().unwrap(),
            },
            DayHours {
                day: Weekday::Mon,
                open: "13:00".parse().unwrap(),
                close: "17:00".parse().unwrap(),
            },
        ],
    };
    assert!(twice.checked().is_err());
    assert!("25:00".parse::<ClockTime>().is_err());
    assert!("24:00".parse::<ClockTime>().is_ok());
    assert!("Mars/Olympus".parse::<Zone>().is_err());
}

#[test]
fn attachments_must_be_what_their_type_says() {
    assert!(AttachmentType::Png.matches(b"\x89PNG\r\n\x1a\nrest"));
    assert!(!AttachmentType::Png.matches(b"MZ\x90\x00"));
    assert!(AttachmentType::Pdf.matches(b"%PDF-1.7"));
    assert!(AttachmentType::PlainText.matches("Grüße\n".as_bytes()));
    assert!(!AttachmentType::PlainText.matches(b"\x00\x01"));
    assert!(AttachmentType::parse("text/plain; charset=utf-8").is_ok());
    assert!(AttachmentType::parse("application/x-msdownload").is_err());
}

// Quotas of the client's files.

fn file(n: u8, size_bytes: u64) -> Attachment {
    Attachment {
        sha256: format!("{n:02x}").repeat(32),
        file_name: format!("log-{n}.txt"),
        content_type: AttachmentType::PlainText,
        size_bytes,
    }
}

/// A reply of `side` with `files` files of 1 KiB, the client's tickets holding `stored` bytes.
fn reply_with_files(side: Side, files: u8, stored: u64) -> TicketCommand {
    let mut message = message(u128::from(files) + 100, side);
    message.attachments = (0..files).map(|n| file(n, 1024)).collect();
    message.client_attachment_bytes = stored;
    TicketCommand::Reply {
        message,
        hours: None,
        at: at(5, 17, 0),
    }
}

/// The client's reply with `files` files, as an event.
fn replied_with_files(files: u8) -> TicketEvent {
    TicketEvent::TicketReplied {
        message_id: TicketMessageId::from_uuid(Uuid::from_u128(u128::from(files) + 200)),
        author: author(Side::Client),
        body: "Logs attached.".to_owned(),
        attachments: (0..files).map(|n| file(n, 1024)).collect(),
        at: at(5, 16, 40),
        response_seconds: None,
        status: TicketStatus::Open,
        awaiting_since: Some(at(5, 16, 30)),
    }
}

#[test]
fn the_client_may_attach_at_most_twenty_files_to_a_ticket() {
    TicketTester::with(())
        .given(vec![
            opened(),
            replied_with_files(5),
            replied_with_files(5),
            replied_with_files(5),
        ])
        .when(reply_with_files(Side::Client, 5, 0))
        .then_expect_events(vec![TicketEvent::TicketReplied {
            message_id: TicketMessageId::from_uuid(Uuid::from_u128(105)),
            author: author(Side::Client),
            body: "My server does not boot.\nPlease help.".to_owned(),
            attachments: (0..5).map(|n| file(n, 1024)).collect(),
            at: at(5, 17, 0),
            response_seconds: None,
            status: TicketStatus::Open,
            awaiting_since: Some(at(5, 16, 30)),
        }]);
    TicketTester::with(())
        .given(vec![
            opened(),
            replied_with_files(5),
            replied_with_files(5),
            replied_with_files(5),
            replied_with_files(5),
        ])
        .when(reply_with_files(Side::Client, 1, 0))
        .then_expect_error(TicketError::TicketAttachmentsFull {
            attached: 20,
            limit: TICKET_ATTACHMENTS_MAX,
        });
}

#[test]
fn files_beyond_the_clients_storage_quota_are_refused() {
    TicketTester::with(())
        .given(vec![opened()])
        .when(reply_with_files(
            Side::Client,
            2,
            CLIENT_ATTACHMENT_BYTES_MAX - 1024,
        ))
        .then_expect_error(TicketError::ClientAttachmentQuota {
            used_bytes: CLIENT_ATTACHMENT_BYTES_MAX - 1024,
            adding_bytes: 2048,
            limit_bytes: CLIENT_ATTACHMENT_BYTES_MAX,
        });
}

#[test]
fn a_closed_ticket_refuses_a_message_as_closed_before_weighing_its_files() {
    // The one answer the API gives to a message on a closed ticket, staff's or the client's,
    // however many files it carries: reopen it first.
    for side in [Side::Client, Side::Staff] {
        TicketTester::with(())
            .given(vec![opened(), closed()])
            .when(reply_with_files(side, 2, CLIENT_ATTACHMENT_BYTES_MAX))
            .then_expect_error(TicketError::Closed);
    }
}

#[test]
fn a_client_at_its_quota_may_still_write_without_files() {
    let reply = reply_with_files(Side::Client, 0, CLIENT_ATTACHMENT_BYTES_MAX);
    let events = Ticket::default()
        .decide(open_command(Side::Client))
        .unwrap();
    let mut ticket = Ticket::default();
    for event in events {
        ticket.apply(event);
    }
    assert!(ticket.decide(reply).is_ok());
}

#[test]
fn staff_answers_with_files_are_not_limited_by_the_clients_quota() {
    let staff_reply = reply_with_files(Side::Staff, 5, CLIENT_ATTACHMENT_BYTES_MAX);
    let mut ticket = Ticket::default();
    for event in [
        opened(),
        replied_with_files(5),
        replied_with_files(5),
        replied_with_files(5),
        replied_with_files(5),
    ] {
        ticket.apply(event);
    }
    assert!(ticket.decide(staff_reply).is_ok());
}
