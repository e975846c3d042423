/** A small knowledge base (four entries, zh and en, with {hours} and {holidays}) for tests. */
export const KB_YAML = `entries:
  - id: hours
    title: { zh: 营业时间, en: opening hours }
    ask:
      zh: [营业时间, 几点开门]
      en: [opening hours, when are you open]
    answer:
      zh: "我们的营业时间是{hours}。"
      en: "We are open {hours}."
  - id: address
    title: { zh: 地址, en: our address }
    ask:
      zh: [地址在哪里, 怎么走]
      en: [where are you, address]
    answer:
      zh: "我们在人民路一号。"
      en: "We are at 1 People's Road."
  - id: holidays
    title: { zh: 节假日, en: holidays }
    ask:
      zh: [节假日开门吗]
      en: [holidays, are you open on holidays]
    answer:
      zh: "休息日:{holidays}。"
      en: "We are closed on {holidays}."
  - id: fees
    title: { zh: 费用, en: fees }
    ask:
      zh: [收费标准]
      en: [fees, how much does it cost]
    keywords: [price]
    answer:
      zh: "开户免费。"
      en: "Opening an account is free."
    then: agent
`;

/** The bot of a box whose menu offers the common questions (bot.menu "3": faq) and a person ("0"). */
export const FAQ_BOT = `  greeting: "Hi. For common questions press 3."
  language: en-US
  menu:
    "3": faq
    "0": agent
  menu_prompt: "Anything else?"
  handoff: { default_queue: general }`;
